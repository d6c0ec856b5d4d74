// Real: SQLite (better-sqlite3) in a temp file, and PostgreSQL when SMARTLIC_TEST_PG is set
// (test/support/pg.ts), kysely, every migration, the tokens and accounts repositories,
// SecretBox. Faked: time (TestClock). Nothing of ours is mocked: the SQL text is read off
// better-sqlite3's own prepare to ask SQLite for its plan.
// Covers core/store/repositories/tokens.repository.ts `countActiveBySmartAccount`, which every
// account's sync write runs (core/services/sync-persist.ts): issue 23, a full sync's CPU grew
// faster than the estate because this count walked the estate's every Active token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import {
  SecretBox,
  createRepositories,
  hashSecret,
  migrateToLatest,
} from '../../core/store/index.ts';
import type { Repositories, StoreHandle } from '../../core/store/index.ts';
import { openTestStore, storeKinds } from '../support/pg.ts';

describe.each(storeKinds())('countActiveBySmartAccount on %s', (kind) => {
  let dir: string;
  let h: StoreHandle;
  let clock: TestClock;
  let repos: Repositories;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smartlic-token-count-'));
    clock = new TestClock('2026-03-01T10:00:00Z');
    h = await openTestStore(kind, { path: join(dir, 'smartlic.db'), clock });
    await migrateToLatest(h.db);
    repos = createRepositories(h.db, SecretBox.random(), clock);
  });

  afterEach(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An account with `vas` VAs of `perVa` Active tokens each; returns its id and VA ids. */
  async function account(
    domain: string,
    vas: number,
    perVa: number,
  ): Promise<{ saId: number; vaIds: number[] }> {
    const sa = await repos.smartAccounts.upsert({ domain, name: domain });
    const vaIds: number[] = [];
    for (let v = 0; v < vas; v++) {
      const va = await repos.virtualAccounts.upsert(sa.id, { name: `${domain}-va${v}` });
      vaIds.push(va.id);
      for (let t = 0; t < perVa; t++)
        await repos.tokens.store({
          virtualAccountId: va.id,
          token: `TOKEN-${domain}-${v}-${t}`,
          expiresAt: new Date('2027-03-01T00:00:00Z'),
        });
    }
    return { saId: sa.id, vaIds };
  }

  it('counts the Active, not gone tokens of the account’s VAs only', async () => {
    const acme = await account('acme.com', 2, 3);
    const other = await account('other.com', 3, 4);
    const [va0, va1] = acme.vaIds as [number, number];
    // Not counted: a revoked token, an expired one, one CSSM no longer lists (gone).
    await repos.tokens.store({ virtualAccountId: va0, token: 'TOKEN-REVOKED', status: 'Revoked' });
    await repos.tokens.store({
      virtualAccountId: va0,
      token: 'TOKEN-EXPIRED',
      expiresAt: new Date('2026-02-01T00:00:00Z'),
    });
    expect(await repos.tokens.markExpired(clock.now())).toBe(1);
    const listed = ['TOKEN-acme.com-1-0', 'TOKEN-acme.com-1-1'];
    expect(await repos.tokens.markGone(va1, listed.map(hashSecret), clock.now())).toBe(1);

    expect(await repos.tokens.countActiveBySmartAccount(acme.saId)).toBe(3 + 2);
    expect(await repos.tokens.countActiveBySmartAccount(other.saId)).toBe(12);
    // Recomputed from the account's whole token list: the same rule, written out here.
    const mine = await repos.tokens.listBySmartAccount(acme.saId);
    expect(mine.filter((t) => t.status === 'Active' && t.goneSince === null)).toHaveLength(5);
    // An account with no VAs, or none of its own tokens, counts 0.
    const empty = await repos.smartAccounts.upsert({ domain: 'empty.com', name: 'Empty' });
    expect(await repos.tokens.countActiveBySmartAccount(empty.id)).toBe(0);
    expect(await repos.tokens.countActiveBySmartAccount(9999)).toBe(0);
  });

  // SQLite's plan: without this the count searched registration_tokens_status_expiry_idx
  // (status = 'Active': nearly every token of the estate) and joined each row to its VA.
  it.skipIf(kind !== 'sqlite')(
    'reads the account’s VAs and then their tokens by registration_tokens_va_idx',
    async () => {
      if (h.kind !== 'sqlite') return;
      const acme = await account('acme.com', 2, 2);
      await account('other.com', 2, 2);
      const seen: string[] = [];
      const sqlite = h.sqlite;
      const prepare = sqlite.prepare.bind(sqlite);
      sqlite.prepare = (text: string) => {
        seen.push(text);
        return prepare(text);
      };
      try {
        expect(await repos.tokens.countActiveBySmartAccount(acme.saId)).toBe(4);
      } finally {
        sqlite.prepare = prepare;
      }
      const text = seen.find((q) => /registration_tokens/.test(q) && /count\(\*\)/i.test(q));
      expect(text, `statements seen: ${seen.join(' ; ')}`).toBeDefined();
      const params = [acme.saId, 'Active'];
      const plan = (
        sqlite.prepare(`explain query plan ${text}`).all(...params) as { detail: string }[]
      )
        .map((r) => r.detail)
        .join(' | ');
      expect(plan).toContain('registration_tokens USING INDEX registration_tokens_va_idx');
      expect(plan).not.toContain('registration_tokens_status_expiry_idx');
      expect(plan).not.toMatch(/SCAN registration_tokens/);
    },
  );
});
