/**
 * A chat write interrupted by a restart still gets its follow-up (issue 20). The adapters
 * record where each write's "job N started" went (`recordThread`); at start-up, after the
 * runtime has closed the jobs a dead process left running as interrupted (core JobRunner
 * `closeOrphaned`), `tellInterrupted` says so in each such job's thread — once, whichever
 * process (`smartlic start`, `serve`, `bot`) gets there first.
 */
import type { Logger, store } from '../../core/index.ts';
import { context, section, type Reply } from '../commands/reply.ts';
import type { ChatSender } from './notifier.ts';

/** The part of core's chat-threads repository the adapters need. */
export type ChatThreadsPort = Pick<store.ChatThreadsRepository, 'record'>;

/** Records a write's thread; a failure is logged, never in the way of the answer. */
export async function recordThread(
  threads: ChatThreadsPort | undefined,
  log: Logger,
  t: store.ChatJobThread,
): Promise<void> {
  if (!threads) return;
  try {
    await threads.record(t);
  } catch (e) {
    log.warn('could not record the thread of a chat job', { jobId: t.jobId, error: e });
  }
}

export function interruptedReply(j: store.InterruptedChatJob): Reply {
  return {
    status: 'error',
    title: `${j.jobType}: job ${j.jobId} was interrupted`,
    blocks: [
      section(
        `${j.description ?? j.entityName} did not finish: smartlic was restarted while it ran (${j.statusInformation ?? 'interrupted'}). It may have done part of its work.`,
      ),
      context(
        `${j.recommendedAction ?? 'check where things stand, then run it again if it is still needed'}; \`job ${j.jobId}\` shows it.`,
      ),
    ],
  };
}

/**
 * Posts "interrupted" in the thread of every chat job of these platforms that a restart cut
 * short and whose thread was not told yet. Returns how many threads were told. A message that
 * cannot be sent is given back, so that the next start tries again.
 */
export async function tellInterrupted(deps: {
  threads: Pick<store.ChatThreadsRepository, 'untoldInterrupted' | 'claimTold' | 'unclaimTold'>;
  senders: Partial<Record<'slack' | 'webex', ChatSender>>;
  logger: Logger;
}): Promise<number> {
  let told = 0;
  for (const platform of ['slack', 'webex'] as const) {
    const sender = deps.senders[platform];
    if (!sender) continue;
    for (const j of await deps.threads.untoldInterrupted(platform)) {
      if (!(await deps.threads.claimTold(j.jobId))) continue;
      try {
        await sender.post(j.channel, interruptedReply(j), j.threadRef);
        told++;
      } catch (e) {
        await deps.threads.unclaimTold(j.jobId);
        deps.logger.warn('could not tell a chat thread that its job was interrupted', {
          jobId: j.jobId,
          platform,
          error: e,
        });
      }
    }
  }
  if (told > 0) deps.logger.info('told chat threads their jobs were interrupted', { told });
  // Always (at debug): the follow-up of a start has a visible end, even when it told nobody.
  deps.logger.debug('interrupted chat jobs followed up', { told });
  return told;
}
