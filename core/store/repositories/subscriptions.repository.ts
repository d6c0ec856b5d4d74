import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { ChannelSubscriptionsTable, ChatPlatform, Database } from '../schema.ts';
import { date, iso, parseJsonObject } from './mapping.ts';

/** A chat channel that receives proactive alerts; filters are bot/notify's business. */
export interface ChannelSubscription {
  id: number;
  platform: ChatPlatform;
  channelId: string;
  filters: Record<string, unknown>;
  createdBy: string | null;
  createdAt: Date;
}

function toSubscription(r: Selectable<ChannelSubscriptionsTable>): ChannelSubscription {
  return {
    id: r.id,
    platform: r.platform,
    channelId: r.channel_id,
    filters: parseJsonObject(r.filters),
    createdBy: r.created_by,
    createdAt: date(r.created_at),
  };
}

export class SubscriptionsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Subscribes a channel, or replaces its filters if already subscribed. */
  async subscribe(s: {
    platform: ChatPlatform;
    channelId: string;
    filters?: Record<string, unknown>;
    createdBy?: string | null;
  }): Promise<ChannelSubscription> {
    const filters = JSON.stringify(s.filters ?? {});
    const row = await this.db
      .insertInto('channel_subscriptions')
      .values({
        platform: s.platform,
        channel_id: s.channelId,
        filters,
        created_by: s.createdBy ?? null,
        created_at: iso(this.clock.now()),
      })
      .onConflict((oc) => oc.columns(['platform', 'channel_id']).doUpdateSet({ filters }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSubscription(row);
  }

  async unsubscribe(platform: ChatPlatform, channelId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('channel_subscriptions')
      .where('platform', '=', platform)
      .where('channel_id', '=', channelId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async get(platform: ChatPlatform, channelId: string): Promise<ChannelSubscription | undefined> {
    const row = await this.db
      .selectFrom('channel_subscriptions')
      .selectAll()
      .where('platform', '=', platform)
      .where('channel_id', '=', channelId)
      .executeTakeFirst();
    return row && toSubscription(row);
  }

  async list(platform?: ChatPlatform): Promise<ChannelSubscription[]> {
    let q = this.db.selectFrom('channel_subscriptions').selectAll();
    if (platform !== undefined) q = q.where('platform', '=', platform);
    return (await q.orderBy('platform').orderBy('channel_id').execute()).map(toSubscription);
  }
}
