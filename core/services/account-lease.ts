/**
 * The account lease (issue 24): a sync of an account and every write that touches the account's
 * CSSM or UC state hold the account's row in `sync_leases` while they run, so two of them never
 * run the same account at once — in one process, in two processes, or on two instances of one
 * database (SQLite file or PostgreSQL).
 *
 * - Each hold is a holder of its own (`host|pid|instance|n`): two holds in one process exclude
 *   each other as two processes do. A hold inside a hold of the same account (a registration
 *   that creates a token, a transfer that syncs) reuses the outer one (AsyncLocalStorage).
 * - While held, a heartbeat renews the lease every third of its TTL. A lease not renewed within
 *   its TTL (its holder crashed on another machine, or froze) is taken over by the next one that
 *   asks; a holder on this host whose process is gone is taken over at once.
 * - Every new holder gets the next epoch. A sync's write transaction checks its epoch
 *   (`fenceOf`), so a holder that lost its lease while paused writes nothing late; a write job
 *   whose lease was lost while it ran fails with FENCED instead of reporting success.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely } from 'kysely';
import { SmartlicError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { AccountLeaseTenure, SyncLeasesRepository } from '../store/index.ts';
import type { Database } from '../store/schema.ts';
import { describeRunner, type RunnerIdentity } from './runner.ts';

export interface AccountRef {
  id: number;
  domain: string;
}

/** A lease this context holds. */
export interface HeldAccountLease {
  readonly tenure: AccountLeaseTenure;
  /** Set once a renewal found the lease taken over (the heartbeat stops then). */
  readonly lost: boolean;
  /** Throws FENCED unless this tenure still holds the account; call inside the write's transaction. */
  check(trx: Kysely<Database>): Promise<void>;
}

export interface AccountLeasesOptions {
  repo: SyncLeasesRepository;
  runner: RunnerIdentity;
  logger: Logger;
  /** A lease not renewed for this long may be taken over (default 30 s). */
  ttlMs?: number;
  /** How often a waiting caller asks again (default 200 ms). */
  retryMs?: number;
}

const held = new AsyncLocalStorage<ReadonlyMap<number, HeldAccountLease>>();

/** The lease of `accountId` the calling context holds, if any (a sync's write fences with it). */
export function heldAccountLease(accountId: number): HeldAccountLease | undefined {
  return held.getStore()?.get(accountId);
}

let holds = 0;

export class AccountLeases {
  readonly ttlMs: number;
  private readonly retryMs: number;

  constructor(private readonly o: AccountLeasesOptions) {
    this.ttlMs = o.ttlMs ?? 30_000;
    this.retryMs = o.retryMs ?? 200;
  }

  /**
   * Runs `fn` holding the account's lease, waiting up to `waitMs` for another holder. Resolves
   * with `{ busy }` (the other holder, `fn` not run) when it could not take it in time.
   */
  async tryHold<T>(
    account: AccountRef,
    waitMs: number,
    fn: (lease: HeldAccountLease) => Promise<T>,
    onWait?: () => void,
  ): Promise<{ value: T } | { busy: string }> {
    const mine = heldAccountLease(account.id);
    if (mine) return { value: await fn(mine) };
    const { repo, runner, logger } = this.o;
    const holder = `${runner.id}|${++holds}`;
    let tenure: AccountLeaseTenure | undefined;
    for (let waited = 0; ; waited += this.retryMs) {
      const r = await repo.take(account.id, holder, (h) => runner.alive(h), this.ttlMs);
      if ('held' in r) {
        tenure = r.held;
        if (r.tookOverFrom !== undefined && !r.tookOverFrom.startsWith(`${runner.id}|`)) {
          logger.debug('account lease taken (the last holder released it or its lease ran out)', {
            account: account.domain,
            from: r.tookOverFrom,
            epoch: tenure.epoch,
          });
        }
        break;
      }
      if (waited >= waitMs) return { busy: r.busy };
      if (waited === 0) onWait?.();
      await new Promise((res) => setTimeout(res, this.retryMs));
    }
    const t = tenure;
    const lease = { tenure: t, lost: false, check: (trx: Kysely<Database>) => repo.check(trx, t) };
    const beat = setInterval(
      () => {
        if (lease.lost) return;
        repo.renew(t, this.ttlMs).then(
          (kept) => {
            if (kept) return;
            lease.lost = true;
            clearInterval(beat);
            logger.warn('the account lease was taken over while held: late writes are refused', {
              account: account.domain,
              epoch: t.epoch,
            });
          },
          // The database did not answer: the next beat tries again; a takeover meanwhile is
          // caught by the fence of the write.
          (e: unknown) => logger.warn('account lease heartbeat failed', { error: e }),
        );
      },
      Math.max(50, Math.floor(this.ttlMs / 3)),
    );
    beat.unref();
    const map = new Map(held.getStore() ?? []);
    map.set(account.id, lease);
    try {
      return { value: await held.run(map, () => fn(lease)) };
    } finally {
      clearInterval(beat);
      await repo.release(account.id, holder).catch((e: unknown) => {
        logger.error('cannot release the account lease', { error: e });
      });
    }
  }

  /**
   * `hold` for many accounts at once (a bulk import that assigns clusters across thousands of
   * accounts): taken one by one in id order, so two such callers never wait on each other in
   * a cycle; one heartbeat renews them all; all are released at the end. SYNC_BUSY when one
   * stays held by another past `waitMs` (those taken are released); FENCED when one was lost
   * while `fn` ran. `fn` gets every lease, to `check` each inside its write's transaction.
   */
  async holdMany<T>(
    accounts: readonly AccountRef[],
    what: string,
    waitMs: number,
    fn: (leases: readonly HeldAccountLease[]) => Promise<T>,
  ): Promise<T> {
    const { repo, runner, logger } = this.o;
    const outer = held.getStore();
    const sorted = [...new Map(accounts.map((a) => [a.id, a])).values()].sort(
      (a, b) => a.id - b.id,
    );
    const mine: {
      account: AccountRef;
      holder: string;
      lease: { tenure: AccountLeaseTenure; lost: boolean; check: HeldAccountLease['check'] };
    }[] = [];
    const reused: HeldAccountLease[] = [];
    const release = async () => {
      for (const m of mine) {
        await repo.release(m.account.id, m.holder).catch((e: unknown) => {
          logger.error('cannot release the account lease', { error: e });
        });
      }
    };
    try {
      for (const account of sorted) {
        const already = outer?.get(account.id);
        if (already) {
          reused.push(already);
          continue;
        }
        const holder = `${runner.id}|${++holds}`;
        for (let waited = 0; ; waited += this.retryMs) {
          const r = await repo.take(account.id, holder, (h) => runner.alive(h), this.ttlMs);
          if ('held' in r) {
            const t = r.held;
            mine.push({
              account,
              holder,
              lease: { tenure: t, lost: false, check: (trx) => repo.check(trx, t) },
            });
            break;
          }
          if (waited >= waitMs) {
            throw new SmartlicError({
              code: 'SYNC_BUSY',
              message: `${account.domain} is being synced or changed by ${describeRunner(r.busy)}; waited ${Math.round(waitMs / 1000)} s for it before ${what}`,
              action: 'try again when that has finished (see `smartlic jobs`); nothing was written',
            });
          }
          await new Promise((res) => setTimeout(res, this.retryMs));
        }
      }
    } catch (e) {
      await release();
      throw e;
    }
    const beat = setInterval(
      () => {
        void (async () => {
          for (const m of mine) {
            if (m.lease.lost) continue;
            const kept = await repo.renew(m.lease.tenure, this.ttlMs).catch((e: unknown) => {
              logger.warn('account lease heartbeat failed', { error: e });
              return true;
            });
            if (!kept) {
              m.lease.lost = true;
              logger.warn('the account lease was taken over while held: late writes are refused', {
                account: m.account.domain,
                epoch: m.lease.tenure.epoch,
              });
            }
          }
        })();
      },
      Math.max(50, Math.floor(this.ttlMs / 3)),
    );
    beat.unref();
    const map = new Map(outer ?? []);
    for (const m of mine) map.set(m.account.id, m.lease);
    try {
      const value = await held.run(map, () => fn([...reused, ...mine.map((m) => m.lease)]));
      const lost = mine.find((m) => m.lease.lost);
      if (lost) {
        throw new SmartlicError({
          code: 'FENCED',
          message: `${what} on ${lost.account.domain} ran past its account lease (epoch ${lost.lease.tenure.epoch}): another process took the account over meanwhile`,
          action:
            'sync the account to see where it stands, then run it again if it is still needed',
        });
      }
      return value;
    } finally {
      clearInterval(beat);
      await release();
    }
  }

  /**
   * Runs `fn` holding the account's lease; SYNC_BUSY (naming the holder and `what` it was
   * about to do) when another holder keeps it past `waitMs`. FENCED when the lease was taken
   * over while `fn` ran (its process was paused past the TTL): what it did is then not reported
   * as done.
   */
  async hold<T>(
    account: AccountRef,
    what: string,
    waitMs: number,
    fn: (lease: HeldAccountLease) => Promise<T>,
  ): Promise<T> {
    let lease: HeldAccountLease | undefined;
    const r = await this.tryHold(account, waitMs, async (l) => {
      lease = l;
      return fn(l);
    });
    if ('busy' in r) {
      throw new SmartlicError({
        code: 'SYNC_BUSY',
        message: `${account.domain} is being synced or changed by ${describeRunner(r.busy)}; waited ${Math.round(waitMs / 1000)} s for it before ${what}`,
        action: 'try again when that has finished (see `smartlic jobs`)',
      });
    }
    if (lease?.lost) {
      throw new SmartlicError({
        code: 'FENCED',
        message: `${what} on ${account.domain} ran past its account lease (epoch ${lease.tenure.epoch}): another process took the account over meanwhile`,
        action: 'sync the account to see where it stands, then run it again if it is still needed',
      });
    }
    return r.value;
  }
}
