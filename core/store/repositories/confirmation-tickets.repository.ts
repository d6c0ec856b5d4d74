import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { SecretBox } from '../crypto.ts';
import type { Database } from '../schema.ts';
import { date, dateOrNull, iso } from './mapping.ts';

export interface ConfirmationTicket {
  id: string;
  subject: string;
  channel: string;
  command: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  usedBy: string | null;
}

/** One-time confirmations (migration 0012); the rules are core/services/confirmations.service.ts. */
export class ConfirmationTicketsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    _secrets?: SecretBox,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(t: Omit<ConfirmationTicket, 'usedAt' | 'usedBy'>): Promise<void> {
    await this.db
      .insertInto('confirmation_tickets')
      .values({
        id: t.id,
        subject: t.subject,
        channel: t.channel,
        command: t.command,
        created_at: iso(t.createdAt),
        expires_at: iso(t.expiresAt),
        used_at: null,
        used_by: null,
      })
      .execute();
  }

  async get(id: string): Promise<ConfirmationTicket | undefined> {
    const r = await this.db
      .selectFrom('confirmation_tickets')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r
      ? {
          id: r.id,
          subject: r.subject,
          channel: r.channel,
          command: r.command,
          createdAt: date(r.created_at),
          expiresAt: date(r.expires_at),
          usedAt: dateOrNull(r.used_at),
          usedBy: r.used_by,
        }
      : undefined;
  }

  /**
   * Marks the ticket used by `by`, only if nobody used it before: true for the one caller that
   * won. One UPDATE, so two presses racing in two processes cannot both win.
   */
  async use(id: string, by: string): Promise<boolean> {
    const r = await this.db
      .updateTable('confirmation_tickets')
      .set({ used_at: iso(this.clock.now()), used_by: by })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Deletes tickets that expired before `before` (used or not); returns how many. */
  async prune(before: Date): Promise<number> {
    const r = await this.db
      .deleteFrom('confirmation_tickets')
      .where('expires_at', '<', iso(before))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
