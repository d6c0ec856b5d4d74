import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { ChatPlatform, Database } from '../schema.ts';
import { iso } from './mapping.ts';

export interface ChatJobThread {
  jobId: number;
  platform: ChatPlatform;
  channel: string;
  threadRef: string;
}

export interface InterruptedChatJob extends ChatJobThread {
  jobType: string;
  entityName: string;
  description: string | null;
  statusInformation: string | null;
  recommendedAction: string | null;
}

/** Where chat writes' "job started" went (migration 0012), to follow up after a restart. */
export class ChatThreadsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  async record(t: ChatJobThread): Promise<void> {
    await this.db
      .insertInto('chat_job_threads')
      .values({
        job_id: t.jobId,
        platform: t.platform,
        channel: t.channel,
        thread_ref: t.threadRef,
        recorded_at: iso(this.clock.now()),
        told_at: null,
      })
      .onConflict((oc) => oc.column('job_id').doNothing())
      .execute();
  }

  /** Threads of the platform's jobs closed as interrupted whose thread was not told yet. */
  async untoldInterrupted(platform: ChatPlatform): Promise<InterruptedChatJob[]> {
    const rows = await this.db
      .selectFrom('chat_job_threads as t')
      .innerJoin('jobs as j', 'j.id', 't.job_id')
      .select([
        't.job_id',
        't.platform',
        't.channel',
        't.thread_ref',
        'j.job_type',
        'j.entity_name',
        'j.description',
        'j.status_information',
        'j.recommended_action',
      ])
      .where('t.platform', '=', platform)
      .where('t.told_at', 'is', null)
      .where('j.status', '=', 'Failed')
      .where('j.error_code', '=', 'INTERRUPTED')
      .orderBy('t.job_id')
      .execute();
    return rows.map((r) => ({
      jobId: r.job_id,
      platform: r.platform,
      channel: r.channel,
      threadRef: r.thread_ref,
      jobType: r.job_type,
      entityName: r.entity_name,
      description: r.description,
      statusInformation: r.status_information,
      recommendedAction: r.recommended_action,
    }));
  }

  /** Claims the telling of one job's thread: true for the one process that gets it. */
  async claimTold(jobId: number): Promise<boolean> {
    const r = await this.db
      .updateTable('chat_job_threads')
      .set({ told_at: iso(this.clock.now()) })
      .where('job_id', '=', jobId)
      .where('told_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Gives a claim back when the message could not be sent, so a later start tries again. */
  async unclaimTold(jobId: number): Promise<void> {
    await this.db
      .updateTable('chat_job_threads')
      .set({ told_at: null })
      .where('job_id', '=', jobId)
      .execute();
  }
}
