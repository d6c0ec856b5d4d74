import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { ChatPlatform, ChatRole, ChatUsersTable, Database } from '../schema.ts';
import { date, defined, iso } from './mapping.ts';

export interface ChatUser {
  id: number;
  platform: ChatPlatform;
  userId: string;
  displayName: string | null;
  role: ChatRole;
  createdAt: Date;
  updatedAt: Date;
}

function toChatUser(r: Selectable<ChatUsersTable>): ChatUser {
  return {
    id: r.id,
    platform: r.platform,
    userId: r.user_id,
    displayName: r.display_name,
    role: r.role,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

export class ChatUsersRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Inserts or updates by (platform, user id); a missing role defaults to viewer on insert. */
  async upsert(u: {
    platform: ChatPlatform;
    userId: string;
    displayName?: string | null;
    role?: ChatRole;
    /** Who granted `role` (0007). */
    grantedBy?: string | null;
  }): Promise<ChatUser> {
    const now = iso(this.clock.now());
    const changes = defined({ display_name: u.displayName, role: u.role, granted_by: u.grantedBy });
    const row = await this.db
      .insertInto('chat_users')
      .values({
        platform: u.platform,
        user_id: u.userId,
        role: 'viewer',
        ...changes,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['platform', 'user_id']).doUpdateSet({ ...changes, updated_at: now }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toChatUser(row);
  }

  async get(platform: ChatPlatform, userId: string): Promise<ChatUser | undefined> {
    const row = await this.db
      .selectFrom('chat_users')
      .selectAll()
      .where('platform', '=', platform)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row && toChatUser(row);
  }

  async setRole(platform: ChatPlatform, userId: string, role: ChatRole): Promise<ChatUser> {
    return this.upsert({ platform, userId, role });
  }

  async list(platform?: ChatPlatform): Promise<ChatUser[]> {
    let q = this.db.selectFrom('chat_users').selectAll();
    if (platform !== undefined) q = q.where('platform', '=', platform);
    return (await q.orderBy('platform').orderBy('user_id').execute()).map(toChatUser);
  }

  async remove(platform: ChatPlatform, userId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('chat_users')
      .where('platform', '=', platform)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}
