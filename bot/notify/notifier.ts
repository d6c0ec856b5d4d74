/**
 * Alert delivery, driven by the alert events. The alert service records every change of an
 * alert in `alert_events` in the same transaction as the alert (in whichever process synced)
 * and publishes it on the `AlertEvents` port after the commit. The notifier consumes the log by
 * a stored cursor per platform (`notify_cursors`): an event on the port of its own process wakes
 * it at once; events written by another process are found at the next poll. For each alert an
 * event names, and every subscribed channel whose filters match, it keeps one message: posted when
 * it opens, updated in place as it changes (Slack `chat.update`), answered in its thread on
 * each change, with an "all clear" when it resolves and a reminder after the re-notify
 * interval. Quiet hours hold thread replies and new alerts, then send one digest.
 *
 * Nothing is decided twice and nothing is lost across a restart: what each channel was told is
 * stored (notify_messages) in the same transaction that queues the messages (notify_outbox),
 * and a queued message leaves the queue only once the platform accepted it. Sending keeps at
 * most one message per channel per `channelIntervalMs`, in order; a 429 waits its Retry-After.
 */
import { createHash } from 'node:crypto';
import {
  recordSafely,
  systemClock,
  type AlertEvents,
  type Clock,
  type Logger,
  type Metrics,
  type store,
} from '../../core/index.ts';
import type { SubscriptionFilters } from '../commands/handlers/admin.ts';
import {
  buttons,
  context,
  fields,
  type Block,
  type Button,
  type Reply,
} from '../commands/reply.ts';
import { quoteWord } from '../commands/grammar.ts';

/** The send side of a chat adapter. */
export interface ChatSender {
  /**
   * Posts a message (in a thread when `threadRef` is given); returns its reference. The
   * delivery key goes along where the platform can carry it (Slack: message metadata).
   */
  post(channelId: string, reply: Reply, threadRef?: string, deliveryKey?: string): Promise<string>;
  /**
   * The reference of a message this app posted with `deliveryKey` (in the thread of
   * `threadRef` when given), undefined when there is none. Absent when the platform cannot say
   * (then a message in doubt after a failover is sent again: at least once, not exactly once).
   */
  find?(channelId: string, deliveryKey: string, threadRef?: string): Promise<string | undefined>;
  /** Replaces a posted message in place; absent when the platform cannot (then only threads). */
  update?(channelId: string, ref: string, reply: Reply): Promise<void>;
}

/** A platform said "not now" (429): try again after `afterMs`. */
export class RetryLater extends Error {
  constructor(
    readonly afterMs: number,
    message: string,
  ) {
    super(message);
  }
}

export interface NotifierOptions {
  repos: store.Repositories;
  /** smartlic's clock: quiet hours and the re-notify interval (tests move it by days). */
  clock: Clock;
  logger: Logger;
  senders: Partial<Record<store.ChatPlatform, ChatSender>>;
  renotifyMs: number;
  channelIntervalMs: number;
  /** Real time, for pacing and Retry-After (defaults to the system clock). */
  wall?: Clock;
  /** Told of every message handed to a platform: sent, or deferred for a retry. */
  metrics?: Metrics;
  /**
   * The alert event port of this process (core's `AlertEvents`), when the sync runs here: its
   * events wake the notifier at once. Without it (the sync runs in another process or thread)
   * the notifier finds the same events in `alert_events` at its next poll.
   */
  events?: Pick<AlertEvents, 'subscribe'>;
  /**
   * Several instances on one database: delivery runs only while this instance leads, and its
   * every write carries the leader's fence (a deposed leader's late write is refused).
   * Without it the notifier always delivers, unfenced (one instance).
   */
  leader?: { isLeader(): boolean; fence(): store.WriteFence | undefined };
}

const SEVERITY_RANK: Record<store.AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };
const SEVERITY_ICON: Record<store.AlertSeverity, string> = {
  info: 'ℹ️',
  warning: '⚠️',
  critical: '🔴',
};

const hash = (a: store.NotifiableAlert) =>
  createHash('sha1')
    .update(`${a.state}|${a.severity}|${a.message}|${a.mutedUntil?.toISOString() ?? ''}`)
    .digest('hex');

/** Local HH:MM of `now` in `tz` is inside [from, to) (a window may run over midnight). */
export function inQuietHours(q: SubscriptionFilters['quiet'], now: Date): boolean {
  if (!q) return false;
  const t = new Intl.DateTimeFormat('en-GB', {
    timeZone: q.timezone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(now);
  return q.from <= q.to ? t >= q.from && t < q.to : t >= q.from || t < q.to;
}

export function matches(f: SubscriptionFilters, a: store.NotifiableAlert): boolean {
  if (f.rules && f.rules.length > 0 && !f.rules.includes(a.rule)) return false;
  if (f.severity && SEVERITY_RANK[a.severity] < SEVERITY_RANK[f.severity]) return false;
  const d = a.details;
  if (f.customer && d.customer !== f.customer && a.entityId !== f.customer) return false;
  if (f.va) {
    const va =
      typeof d.virtualAccount === 'string'
        ? d.virtualAccount
        : typeof d.va === 'string'
          ? d.va
          : undefined;
    if (va !== f.va && a.entityId !== f.va && !a.entityId.startsWith(`${f.va}/`)) return false;
  }
  return true;
}

/** The buttons on an alert: each runs a command as whoever presses it (roles apply then). */
function alertButtons(a: store.NotifiableAlert): Button[] {
  const out: Button[] = [{ label: 'Mute 1 day', command: `mute ${a.id} 1d` }];
  const type = a.entityType.toLowerCase();
  const last = quoteWord(a.entityName);
  if (type.includes('cluster')) {
    out.push({ label: 'Show cluster', command: `cluster ${last}` });
    if (/auth/i.test(a.rule))
      out.push({ label: 'Renew authorization', command: `renew auth ${last}`, style: 'primary' });
  } else if (type.includes('virtual') || type === 'va') {
    out.push({ label: 'Show VA', command: `usage ${quoteWord(a.entityName)}` });
    const d = a.details;
    if (typeof d.rebalanceVa === 'string') {
      const days = typeof d.rebalanceDays === 'number' ? ` --days ${d.rebalanceDays}` : '';
      // The alert is about one license: both buttons narrow the plan to the transfers that
      // cover it, so the press applies those and nothing planned for the VA's other types.
      const license =
        typeof d.rebalanceLicense === 'string' ? ` --license ${quoteWord(d.rebalanceLicense)}` : '';
      out.push({
        label: 'Rebalance plan',
        command: `rebalance ${quoteWord(d.rebalanceVa)}${days}${license}`,
      });
      // Only where the plan has a transfer to run. The press asks the registry's confirmation
      // (operator role, one-time ticket) showing the plan before anything moves.
      if (typeof d.rebalanceCommands === 'string')
        out.push({
          label: 'Apply transfer',
          command: `rebalance --apply ${quoteWord(d.rebalanceVa)}${days}${license}`,
          style: 'primary',
        });
    }
  }
  return out;
}

/** A shortage alert's proposal (core's rebalance facts): the transfers, their commands, the rest. */
function proposalBlocks(a: store.NotifiableAlert): Block[] {
  const d = a.details;
  if (typeof d.rebalanceTransfers !== 'string') return [];
  const out: Block[] = [
    context(
      `Transfers that cover it: ${d.rebalanceTransfers}. To order: ${typeof d.toOrder === 'string' ? d.toOrder : '-'}.`,
    ),
  ];
  if (typeof d.rebalanceCommands === 'string')
    for (const line of d.rebalanceCommands.split('\n')) out.push(context(line));
  return out;
}

export function alertReply(a: store.NotifiableAlert): Reply {
  const resolved = a.state === 'resolved';
  return {
    status: resolved ? 'ok' : 'error',
    title: resolved ? `✅ Resolved: ${a.message}` : `${SEVERITY_ICON[a.severity]} ${a.message}`,
    blocks: [
      fields({
        alert: a.id,
        rule: a.rule,
        about: `${a.entityType} ${a.entityName}`,
        severity: a.severity,
        since: a.firstSeen.toISOString().slice(0, 16).replace('T', ' '),
        state:
          a.mutedUntil !== null && !resolved
            ? `muted until ${a.mutedUntil?.toISOString().slice(0, 16).replace('T', ' ') ?? 'resolved'}`
            : a.state,
      }),
      ...(resolved ? [] : [...proposalBlocks(a), buttons(...alertButtons(a))]),
    ],
  };
}

function threadReply(
  a: store.NotifiableAlert,
  what: 'changed' | 'resolved' | 'reminder' | 'reopened',
): Reply {
  const title =
    what === 'resolved'
      ? `✅ All clear: ${a.message}`
      : what === 'reminder'
        ? `Still open: ${a.message}`
        : what === 'reopened'
          ? `Open again: ${a.message}`
          : `Changed: ${a.message}`;
  return {
    status: what === 'resolved' ? 'ok' : 'error',
    title,
    blocks: [context(`alert ${a.id} · ${a.severity} · ${a.state}`)],
  };
}

export class Notifier {
  private readonly wall: Clock;
  private readonly lastSent = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private inLoop = false;
  private wakeup = false;
  private lastPlan = 0;
  private pollMs = 5000;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly o: NotifierOptions) {
    this.wall = o.wall ?? systemClock;
  }

  /** The repository to write through: fenced by this leader's epoch when elected. */
  private repo(): store.NotificationsRepository {
    return this.o.repos.notifications.fenced(this.o.leader?.fence());
  }

  /** Whether this instance is the one to deliver now. */
  private leads(): boolean {
    return this.o.leader === undefined || this.o.leader.isLeader();
  }

  /**
   * Reads the alert events since this platform's cursor (whichever process wrote them), compares
   * each named alert's present state with what every subscribed channel was told, and queues
   * the difference; then reminders and quiet-hours digests. The comparison is with the stored
   * per-channel state, so planning the same events twice (a crash before the cursor moved)
   * queues nothing twice. Returns how many messages were queued.
   */
  async plan(): Promise<number> {
    if (!this.leads()) return 0;
    const n = this.repo();
    const now = this.o.clock.now();
    const wallNow = this.wall.now();
    const allSubs = await this.o.repos.subscriptions.list();
    let queued = 0;
    for (const platform of Object.keys(this.o.senders) as store.ChatPlatform[]) {
      if (!this.o.senders[platform]) continue;
      const consumer = `notify:${platform}`;
      const subs = allSubs.filter((s) => s.platform === platform);
      let cursor = await n.cursor(consumer);
      if (subs.length === 0) {
        // Nobody to tell: move past what is there without reading it (a full sync writes
        // thousands of events, and this runs on the thread that acks commands).
        const last = await n.lastEventId();
        if (last > cursor) await n.advanceCursor(consumer, last);
        continue;
      }
      for (;;) {
        const batch = await n.eventsAfter(cursor, 500);
        if (batch.count === 0) break;
        queued += await this.compare(subs, await n.alertsByIds(batch.alertIds), now, wallNow);
        await n.advanceCursor(consumer, batch.lastId);
        cursor = batch.lastId;
        // SQLite work is synchronous: let the HTTP listener (acks) in between batches.
        await new Promise((r) => setImmediate(r));
      }
      // What channels carry and is still open: reminders after the re-notify interval.
      queued += await this.compare(subs, await n.toldUnresolved(platform), now, wallNow);
      for (const s of subs) {
        if (!inQuietHours((s.filters as SubscriptionFilters).quiet, now))
          queued += await this.digest(s.platform, s.channelId);
      }
    }
    return queued;
  }

  /** Queues, per channel, what differs between `alerts` as stored and what it was told. */
  private async compare(
    subs: readonly store.ChannelSubscription[],
    alerts: readonly store.NotifiableAlert[],
    now: Date,
    wallNow: Date,
  ): Promise<number> {
    const { repos } = this.o;
    if (alerts.length === 0) return 0;
    const n = this.repo();
    let queued = 0;
    for (const s of subs) {
      const f = s.filters as SubscriptionFilters;
      const quiet = inQuietHours(f.quiet, now);
      const told = new Map(
        (await repos.notifications.messages(s.platform, s.channelId)).map((m) => [m.alertId, m]),
      );
      for (const a of alerts) {
        const prev = told.get(a.id);
        if (!matches(f, a) && !prev) continue;
        const h = hash(a);
        const base = {
          platform: s.platform,
          channelId: s.channelId,
          alertId: a.id,
          state: a.state,
          severity: a.severity,
          textHash: h,
        };
        if (!prev) {
          // Only an open alert is news; a muted one is listed, not delivered, until it changes.
          if (a.state !== 'open') continue;
          if (a.mutedUntil !== null && a.mutedUntil.getTime() > now.getTime()) continue;
          await n.plan({ ...base, notified: true }, [
            {
              kind: quiet ? 'held' : 'post',
              payload: { reply: alertReply(a), first: true },
              notBefore: wallNow,
            },
          ]);
          told.set(a.id, { ...base, messageRef: null, inDigest: false, lastNotifiedAt: now });
          queued++;
          continue;
        }
        if (prev.textHash !== h) {
          const what =
            a.state === 'resolved'
              ? 'resolved'
              : prev.state === 'resolved'
                ? 'reopened'
                : 'changed';
          await n.plan({ ...base, notified: true }, [
            // An in-place edit makes no noise, so it goes out even in quiet hours.
            { kind: 'update', payload: { reply: alertReply(a) }, notBefore: wallNow },
            {
              kind: quiet ? 'held' : 'thread',
              payload: { reply: threadReply(a, what) },
              notBefore: wallNow,
            },
          ]);
          told.set(a.id, { ...prev, ...base, lastNotifiedAt: now });
          queued += 2;
          continue;
        }
        if (
          a.state === 'open' &&
          this.o.renotifyMs > 0 &&
          now.getTime() - prev.lastNotifiedAt.getTime() >= this.o.renotifyMs
        ) {
          await n.plan({ ...base, notified: true }, [
            {
              kind: quiet ? 'held' : 'thread',
              payload: { reply: threadReply(a, 'reminder') },
              notBefore: wallNow,
            },
          ]);
          told.set(a.id, { ...prev, lastNotifiedAt: now });
          queued++;
        }
      }
    }
    return queued;
  }

  /** Turns what quiet hours held for a channel into one digest post. */
  private async digest(platform: store.ChatPlatform, channelId: string): Promise<number> {
    const n = this.repo();
    const held = (await n.pending()).filter(
      (i) => i.kind === 'held' && i.platform === platform && i.channelId === channelId,
    );
    if (held.length === 0) return 0;
    const lines = held.map((i) => [(i.payload.reply as Reply).title]);
    const reply: Reply = {
      status: 'ok',
      title: `Digest: ${held.length} alert update${held.length === 1 ? '' : 's'} during quiet hours`,
      blocks: [{ kind: 'table', columns: ['what happened'], rows: lines }],
    };
    const firsts = held
      .filter((i) => i.payload.first === true && i.alertId !== null)
      .map((i) => i.alertId!);
    await n.enqueue(platform, channelId, 'post', { reply, digestOf: firsts }, null);
    await n.removeItems(held.map((i) => i.id));
    return 1;
  }

  /**
   * Sends what is due: per channel the oldest queued message, if the channel's last message
   * was at least `channelIntervalMs` ago. Returns how many were sent.
   */
  async deliver(): Promise<number> {
    if (!this.leads()) return 0;
    const n = this.repo();
    const now = this.wall.now().getTime();
    const queue = (await n.pending()).filter((i) => i.kind !== 'held');
    const firstPerChannel = new Map<string, store.OutboxItem>();
    for (const i of queue) {
      const k = `${i.platform}:${i.channelId}`;
      if (!firstPerChannel.has(k)) firstPerChannel.set(k, i);
    }
    let sent = 0;
    await Promise.all(
      [...firstPerChannel.entries()].map(async ([k, item]) => {
        if (item.notBefore.getTime() > now) return;
        if (now - (this.lastSent.get(k) ?? 0) < this.o.channelIntervalMs) return;
        const sender = this.o.senders[item.platform];
        if (!sender) return;
        try {
          this.lastSent.set(k, now);
          if (await this.send(sender, item, n)) {
            sent++;
            if (item.platform !== 'console')
              recordSafely(this.o.metrics, {
                kind: 'notification',
                platform: item.platform,
                outcome: 'sent',
              });
          }
          // Pace from when the platform answered, so that arrivals are spaced too.
          this.lastSent.set(k, this.wall.now().getTime());
        } catch (e) {
          // Deposed: the new leader sends it; this instance must not write anything more.
          if ((e as { code?: unknown }).code === 'FENCED') return;
          if (item.platform !== 'console')
            recordSafely(this.o.metrics, {
              kind: 'notification',
              platform: item.platform,
              outcome: 'deferred',
            });
          const retry =
            e instanceof RetryLater ? e.afterMs : Math.min(60_000, 1000 * 2 ** item.attempts);
          await n.retryLater(
            item.id,
            new Date(now + retry),
            e instanceof Error ? e.message : String(e),
          );
          this.o.logger.warn('alert delivery deferred', {
            channel: item.channelId,
            retryInMs: retry,
            error: e,
          });
        }
      }),
    );
    return sent;
  }

  /**
   * Claim, send, record. The claim (fenced) comes first, so a deposed leader stops before it
   * sends; the record (fenced too) removes the item. A leader that dies between the send and
   * the record leaves the item claimed: whoever sends it next asks the platform whether a
   * message with its delivery key is already there (`find`) and records that one instead of
   * posting again. An in-place update needs no such question: doing it twice changes nothing.
   */
  private async send(
    sender: ChatSender,
    item: store.OutboxItem,
    n: store.NotificationsRepository,
  ): Promise<boolean> {
    const reply = item.payload.reply as Reply;
    const key = item.deliveryKey;
    const posted = async (threadRef?: string): Promise<string | undefined> =>
      item.claimedEpoch !== null && sender.find
        ? sender.find(item.channelId, key, threadRef)
        : undefined;
    if (item.kind === 'post') {
      let ref = await posted();
      if (ref === undefined) {
        await n.claim(item);
        ref = await sender.post(item.channelId, reply, undefined, key);
      }
      const digestOf = Array.isArray(item.payload.digestOf)
        ? (item.payload.digestOf as number[])
        : undefined;
      await n.delivered(item, {
        messageRef: ref,
        ...(digestOf ? { inDigest: true, alertIds: digestOf } : {}),
      });
      return true;
    }
    const m =
      item.alertId === null
        ? undefined
        : await n.message(item.platform, item.channelId, item.alertId);
    if (!m?.messageRef) {
      // The alert's first message is not out yet (it went into a digest still queued, or was
      // never sent): post this one on its own rather than lose it.
      if (item.kind === 'update') {
        await n.delivered(item);
        return false;
      }
      if ((await posted()) === undefined) {
        await n.claim(item);
        await sender.post(item.channelId, reply, undefined, key);
      }
      await n.delivered(item);
      return true;
    }
    if (item.kind === 'update') {
      if (!sender.update || m.inDigest) {
        await n.delivered(item);
        return false;
      }
      await n.claim(item);
      await sender.update(item.channelId, m.messageRef, reply);
    } else if ((await posted(m.messageRef)) === undefined) {
      await n.claim(item);
      await sender.post(item.channelId, reply, m.messageRef, key);
    }
    await n.delivered(item);
    return true;
  }

  /** Plans, then sends until nothing is due or `maxMs` passed (tests and shutdown). */
  async flush(maxMs = 30_000): Promise<void> {
    if (!this.leads()) return;
    await this.plan();
    const end = this.wall.now().getTime() + maxMs;
    for (;;) {
      await this.deliver();
      const left = (await this.o.repos.notifications.pending()).filter((i) => i.kind !== 'held');
      if (left.length === 0 || this.wall.now().getTime() > end) return;
      await new Promise((r) =>
        setTimeout(r, Math.max(20, Math.min(250, this.o.channelIntervalMs / 4))),
      );
    }
  }

  /**
   * Plans every `pollMs` (and at once when the in-process alert event port says something
   * changed) and sends continuously until stop().
   */
  start(pollMs: number): void {
    this.pollMs = pollMs;
    this.unsubscribe = this.o.events?.subscribe(() => this.wake(), { includeMuted: true });
    this.running = this.loop();
  }

  /** An alert event in this process: plan now instead of at the next poll. */
  private wake(): void {
    this.wakeup = true;
    if (this.stopped || this.inLoop) return;
    clearTimeout(this.timer);
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    this.inLoop = true;
    try {
      const t = this.wall.now().getTime();
      if (this.wakeup || t - this.lastPlan >= this.pollMs) {
        this.wakeup = false;
        this.lastPlan = t;
        await this.plan();
      }
      await this.deliver();
    } catch (e) {
      this.o.logger.error('alert delivery loop failed', { error: e });
    } finally {
      this.inLoop = false;
    }
    if (!this.stopped) {
      this.timer = setTimeout(
        () => {
          this.running = this.loop();
        },
        this.wakeup ? 0 : Math.max(50, Math.min(this.pollMs, this.o.channelIntervalMs / 2 || 50)),
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    await this.running;
  }
}
