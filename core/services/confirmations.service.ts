/**
 * Confirmations bound to the question (issue 20). A destructive command asked from chat (and
 * later over MCP) gets a one-time ticket: who asked (the subject — a chat user, or an MCP
 * token's name), the channel, the exact command line, and an expiry. The confirm button
 * carries the ticket's id; the press runs the command only when all of these match and the
 * ticket was never used. Tickets live in SQLite so that a press reaching another worker,
 * process or a restarted bot is judged the same. The terminal's own confirmation (`--yes`,
 * y/N) is not a ticket: whoever runs the terminal can open the database anyway.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { ConfirmationTicketsRepository } from '../store/index.ts';

export type TicketRefusal =
  'unknown' | 'used' | 'expired' | 'other-person' | 'other-channel' | 'other-command';

export type Redemption =
  | { ok: true }
  | {
      ok: false;
      reason: TicketRefusal;
      /** For the person who pressed: what happened and what to do. */
      message: string;
    };

export interface TicketQuestion {
  /** Who asked and may confirm: `slack:U…`, `webex:<e-mail>`, `mcp:<token name>`. */
  subject: string;
  /** Where it was asked; '' when the face has none. */
  channel: string;
  /** The canonical command line the confirmation runs. */
  command: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class ConfirmationService {
  constructor(
    private readonly deps: {
      tickets: ConfirmationTicketsRepository;
      clock: Clock;
      /** config `bot.confirmMinutes`. */
      ttlMinutes: number;
    },
  ) {}

  /** Issues a ticket for one question; returns its id and when it stops working. */
  async issue(q: TicketQuestion): Promise<{ id: string; expiresAt: Date }> {
    const now = this.deps.clock.now();
    const expiresAt = new Date(now.getTime() + this.deps.ttlMinutes * 60_000);
    // 128 random bits: a ticket cannot be guessed, only received.
    const id = randomBytes(16).toString('base64url');
    await this.deps.tickets.create({ id, ...q, createdAt: now, expiresAt });
    // Old tickets are kept a day after expiry (so a late press is told "expired", not
    // "unknown"), then dropped.
    await this.deps.tickets.prune(new Date(now.getTime() - DAY_MS));
    return { id, expiresAt };
  }

  /**
   * Uses the ticket for this question, once. A press by someone else, from another channel or
   * with another line does not use it up: the person who asked can still confirm.
   */
  async redeem(id: string, q: TicketQuestion): Promise<Redemption> {
    const t = await this.deps.tickets.get(id);
    const again = `Ask again (\`${q.command}\`) to get a new confirmation.`;
    if (!t) return refuse('unknown', `This confirmation was never issued by smartlic. ${again}`);
    if (t.subject !== q.subject)
      return refuse(
        'other-person',
        `This confirmation belongs to ${t.subject}, who asked for it; only they can press it. ${again}`,
      );
    if (t.channel !== q.channel)
      return refuse('other-channel', `This confirmation was asked in another channel. ${again}`);
    if (t.command !== q.command)
      return refuse(
        'other-command',
        `This confirmation is for \`${t.command}\`, not \`${q.command}\`; nothing was run. ${again}`,
      );
    if (t.usedAt)
      return refuse(
        'used',
        `This confirmation was already used (${t.usedAt.toISOString()}); it runs once. ${again}`,
      );
    if (this.deps.clock.now().getTime() >= t.expiresAt.getTime())
      return refuse(
        'expired',
        `This confirmation expired at ${t.expiresAt.toISOString()} (it lasts ${this.deps.ttlMinutes} minutes). ${again}`,
      );
    if (!(await this.deps.tickets.use(id, q.subject)))
      return refuse('used', `This confirmation was already used; it runs once. ${again}`);
    return { ok: true };
  }
}

function refuse(reason: TicketRefusal, message: string): Redemption {
  return { ok: false, reason, message };
}
