import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type {
  AlertSeverity,
  AlertState,
  AlertsTable,
  ChatPlatform,
  Database,
  NotifyMessagesTable,
  NotifyOutboxTable,
} from '../schema.ts';
import type { WriteFence } from './leader-leases.repository.ts';
import { date, dateOrNull, inTransaction, iso, parseJsonObject } from './mapping.ts';

/** What bot/notify needs to know of an alert. */
export interface NotifiableAlert {
  id: number;
  rule: string;
  entityType: string;
  entityId: string;
  /** What an operator calls the entity (a cluster's name; the id is internal). */
  entityName: string;
  severity: AlertSeverity;
  state: AlertState;
  firstSeen: Date;
  resolvedAt: Date | null;
  mutedUntil: Date | null;
  message: string;
  details: Record<string, unknown>;
}

export interface NotifyMessage {
  platform: ChatPlatform;
  channelId: string;
  alertId: number;
  messageRef: string | null;
  inDigest: boolean;
  state: AlertState;
  severity: AlertSeverity;
  textHash: string;
  lastNotifiedAt: Date;
}

export type OutboxKind = NotifyOutboxTable['kind'];

export interface OutboxItem {
  id: number;
  platform: ChatPlatform;
  channelId: string;
  alertId: number | null;
  kind: OutboxKind;
  payload: Record<string, unknown>;
  notBefore: Date;
  attempts: number;
  /** Unique key of this message, sent along where the platform can carry it. */
  deliveryKey: string;
  /**
   * Epoch of the leader that began sending it (0 for a single instance), null if nobody did.
   * Set means "maybe sent": the sender died or failed between the send and its record.
   */
  claimedEpoch: number | null;
  claimedAt: Date | null;
}

const toMessage = (r: Selectable<NotifyMessagesTable>): NotifyMessage => ({
  platform: r.platform,
  channelId: r.channel_id,
  alertId: r.alert_id,
  messageRef: r.message_ref,
  inDigest: r.in_digest === 1,
  state: r.state,
  severity: r.severity,
  textHash: r.text_hash,
  lastNotifiedAt: date(r.last_notified_at),
});

const toItem = (r: Selectable<NotifyOutboxTable>): OutboxItem => ({
  id: r.id,
  platform: r.platform,
  channelId: r.channel_id,
  alertId: r.alert_id,
  kind: r.kind,
  payload: parseJsonObject(r.payload),
  notBefore: date(r.not_before),
  attempts: r.attempts,
  // Rows queued before 0015 have no key: their id is unique too.
  deliveryKey: r.delivery_key ?? `outbox-${r.id}`,
  claimedEpoch: r.claimed_epoch === null ? null : Number(r.claimed_epoch),
  claimedAt: dateOrNull(r.claimed_at),
});

const ALERT_COLUMNS = [
  'id',
  'rule',
  'entity_type',
  'entity_id',
  'entity_name',
  'severity',
  'state',
  'first_seen',
  'resolved_at',
  'muted_until',
  'message',
  'details',
] as const;

const toNotifiable = (
  r: Pick<Selectable<AlertsTable>, (typeof ALERT_COLUMNS)[number]>,
): NotifiableAlert => ({
  id: r.id,
  rule: r.rule,
  entityType: r.entity_type,
  entityId: r.entity_id,
  entityName: r.entity_name ?? r.entity_id,
  severity: r.severity,
  state: r.state,
  firstSeen: date(r.first_seen),
  resolvedAt: dateOrNull(r.resolved_at),
  mutedUntil: dateOrNull(r.muted_until),
  message: r.message,
  details: parseJsonObject(r.details),
});

/**
 * Alert delivery's own state: message ↔ alert per channel, and the outbox of messages to send.
 * Delivery is leader-only work: `fenced(fence)` gives a view whose every write checks the
 * leader's epoch in its own transaction, so a deposed leader's late write changes nothing.
 */
export class NotificationsRepository {
  private fence: WriteFence | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /** This repository with every write fenced by `fence` (FENCED once a newer leader is elected). */
  fenced(fence: WriteFence | undefined): NotificationsRepository {
    if (!fence) return this;
    const r = new NotificationsRepository(this.db, this.secrets, this.clock);
    r.fence = fence;
    return r;
  }

  /** One transaction for a write, behind the fence when there is one. */
  private write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return inTransaction(this.db, async (trx) => {
      await this.fence?.check(trx);
      return fn(trx);
    });
  }

  /**
   * The alerts with these ids, as they are stored now (events name the alerts; delivery
   * compares each one's present state with what every channel was told).
   */
  async alertsByIds(ids: readonly number[]): Promise<NotifiableAlert[]> {
    const out: NotifiableAlert[] = [];
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db
        .selectFrom('alerts')
        .select(ALERT_COLUMNS)
        .where('id', 'in', unique.slice(i, i + 500))
        .orderBy('id')
        .execute();
      out.push(...rows.map(toNotifiable));
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /**
   * Alerts a channel of `platform` was told about and not yet told were resolved (for
   * reminders and for the quiet-hours digest); bounded by what was delivered, not by the store.
   */
  async toldUnresolved(platform: ChatPlatform): Promise<NotifiableAlert[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .select(ALERT_COLUMNS)
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('notify_messages')
          .select('alert_id')
          .where('platform', '=', platform)
          .where('state', '!=', 'resolved'),
      )
      .orderBy('id')
      .execute();
    return rows.map(toNotifiable);
  }

  /** Where `consumer` stopped reading `alert_events` (0: from the beginning). */
  async cursor(consumer: string): Promise<number> {
    const r = await this.db
      .selectFrom('notify_cursors')
      .select('last_event_id')
      .where('consumer', '=', consumer)
      .executeTakeFirst();
    return r?.last_event_id ?? 0;
  }

  /** Moves `consumer`'s place in `alert_events` forward (never back). */
  async advanceCursor(consumer: string, lastEventId: number): Promise<void> {
    const now = iso(this.clock.now());
    await this.write((trx) =>
      trx
        .insertInto('notify_cursors')
        .values({ consumer, last_event_id: lastEventId, updated_at: now })
        .onConflict((oc) =>
          oc
            .column('consumer')
            .doUpdateSet({ last_event_id: lastEventId, updated_at: now })
            .where('notify_cursors.last_event_id', '<', lastEventId),
        )
        .execute(),
    );
  }

  /**
   * The next `limit` alert events after `afterId`, in order: their ids and the alerts they
   * name. SQLite commits one writer at a time, so ids become visible in order and a cursor
   * never skips an event committed later.
   */
  async eventsAfter(
    afterId: number,
    limit = 1000,
  ): Promise<{ lastId: number; alertIds: number[]; count: number }> {
    const rows = await this.db
      .selectFrom('alert_events')
      .select(['id', 'alert_id'])
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return {
      lastId: rows.length > 0 ? rows[rows.length - 1]!.id : afterId,
      alertIds: rows.map((r) => r.alert_id),
      count: rows.length,
    };
  }

  /** The id of the newest alert event (0 when there is none). */
  async lastEventId(): Promise<number> {
    const r = await this.db
      .selectFrom('alert_events')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    return Number(r?.id ?? 0);
  }

  async messages(platform: ChatPlatform, channelId: string): Promise<NotifyMessage[]> {
    const rows = await this.db
      .selectFrom('notify_messages')
      .selectAll()
      .where('platform', '=', platform)
      .where('channel_id', '=', channelId)
      .execute();
    return rows.map(toMessage);
  }

  async message(
    platform: ChatPlatform,
    channelId: string,
    alertId: number,
  ): Promise<NotifyMessage | undefined> {
    const r = await this.db
      .selectFrom('notify_messages')
      .selectAll()
      .where('platform', '=', platform)
      .where('channel_id', '=', channelId)
      .where('alert_id', '=', alertId)
      .executeTakeFirst();
    return r && toMessage(r);
  }

  /** Records what a channel will be told about an alert, and queues the messages, together. */
  async plan(
    m: Pick<
      NotifyMessage,
      'platform' | 'channelId' | 'alertId' | 'state' | 'severity' | 'textHash'
    > & { notified: boolean },
    items: { kind: OutboxKind; payload: Record<string, unknown>; notBefore: Date }[],
  ): Promise<void> {
    const now = iso(this.clock.now());
    await this.write(async (trx) => {
      await trx
        .insertInto('notify_messages')
        .values({
          platform: m.platform,
          channel_id: m.channelId,
          alert_id: m.alertId,
          message_ref: null,
          in_digest: 0,
          state: m.state,
          severity: m.severity,
          text_hash: m.textHash,
          last_notified_at: now,
          created_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['platform', 'channel_id', 'alert_id']).doUpdateSet({
            state: m.state,
            severity: m.severity,
            text_hash: m.textHash,
            ...(m.notified ? { last_notified_at: now } : {}),
          }),
        )
        .execute();
      for (const it of items) {
        await trx
          .insertInto('notify_outbox')
          .values({
            platform: m.platform,
            channel_id: m.channelId,
            alert_id: m.alertId,
            kind: it.kind,
            payload: JSON.stringify(it.payload),
            not_before: iso(it.notBefore),
            created_at: now,
            delivery_key: randomUUID(),
          })
          .execute();
      }
    });
  }

  async enqueue(
    platform: ChatPlatform,
    channelId: string,
    kind: OutboxKind,
    payload: Record<string, unknown>,
    alertId: number | null = null,
  ): Promise<void> {
    const now = iso(this.clock.now());
    await this.write((trx) =>
      trx
        .insertInto('notify_outbox')
        .values({
          platform,
          channel_id: channelId,
          alert_id: alertId,
          kind,
          payload: JSON.stringify(payload),
          not_before: now,
          created_at: now,
          delivery_key: randomUUID(),
        })
        .execute(),
    );
  }

  /** Every queued item, oldest first. */
  async pending(): Promise<OutboxItem[]> {
    return (await this.db.selectFrom('notify_outbox').selectAll().orderBy('id').execute()).map(
      toItem,
    );
  }

  /** Delivered: the item leaves the queue; a first post records its message reference. */
  async delivered(
    item: OutboxItem,
    ref?: { messageRef: string; inDigest?: boolean; alertIds?: number[] },
  ): Promise<void> {
    await this.write(async (trx) => {
      await trx.deleteFrom('notify_outbox').where('id', '=', item.id).execute();
      if (!ref) return;
      const ids = ref.alertIds ?? (item.alertId === null ? [] : [item.alertId]);
      if (ids.length === 0) return;
      await trx
        .updateTable('notify_messages')
        .set({ message_ref: ref.messageRef, in_digest: ref.inDigest ? 1 : 0 })
        .where('platform', '=', item.platform)
        .where('channel_id', '=', item.channelId)
        .where('alert_id', 'in', ids)
        .execute();
    });
  }

  /** Removes held items that went out inside a digest. */
  async removeItems(ids: readonly number[]): Promise<void> {
    if (ids.length > 0)
      await this.write((trx) =>
        trx
          .deleteFrom('notify_outbox')
          .where('id', 'in', [...ids])
          .execute(),
      );
  }

  /**
   * Marks an item as being sent by this leader, just before it is handed to the platform (the
   * fence makes this the point where a deposed leader stops). Until `delivered` removes it, a
   * claimed item is in doubt: the next attempt asks the platform for its key first.
   */
  async claim(item: OutboxItem): Promise<void> {
    const epoch = this.fence?.epoch ?? 0;
    await this.write((trx) =>
      trx
        .updateTable('notify_outbox')
        .set({ claimed_epoch: epoch, claimed_at: iso(this.clock.now()) })
        .where('id', '=', item.id)
        .execute(),
    );
  }

  /** Not delivered (429, network, platform error): try again at `notBefore`. Never dropped. */
  async retryLater(id: number, notBefore: Date, error: string): Promise<void> {
    await this.write((trx) =>
      trx
        .updateTable('notify_outbox')
        .set((eb) => ({
          not_before: iso(notBefore),
          last_error: error.slice(0, 500),
          attempts: eb('attempts', '+', 1),
        }))
        .where('id', '=', id)
        .execute(),
    );
  }
}
