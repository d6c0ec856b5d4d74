// Real: SQLite (better-sqlite3) in a temp file, and PostgreSQL when SMARTLIC_TEST_PG is set
// (test/support/pg.ts), kysely, every migration, the repositories. Faked: time (TestClock).
// Covers core/services/alert-state.ts `gatherAlertStates`, the unassigned clusters of a scope:
// each is read by its own customers' account (issue 23: one account's evaluation after its
// sync read every unassigned cluster of the estate and dropped the others in JS). Which
// clusters a scope holds, and in which order, is what the estate-wide read gave: an account's
// assigned clusters (by customer and id), then the unassigned ones of its customers by customer
// and id; global, the
// unassigned clusters of customers of no account.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import type { AlertScope } from '../../core/domain/alerts.ts';
import { gatherAlertStates } from '../../core/services/alert-state.ts';
import { SecretBox, createRepositories, migrateToLatest } from '../../core/store/index.ts';
import type { StoreHandle } from '../../core/store/index.ts';
import { openTestStore, storeKinds } from '../support/pg.ts';

describe.each(storeKinds())('alert state: unassigned clusters by scope on %s', (kind) => {
  let dir: string;
  let h: StoreHandle;
  const clock = new TestClock('2026-03-01T10:00:00Z');
  let a: AlertScope;
  let b: AlertScope;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smartlic-alert-unassigned-'));
    h = await openTestStore(kind, { path: join(dir, 'smartlic.db'), clock });
    await migrateToLatest(h.db);
    const repos = createRepositories(h.db, SecretBox.random(), clock);
    const saA = await repos.smartAccounts.upsert({ domain: 'a.com', name: 'A' });
    const saB = await repos.smartAccounts.upsert({ domain: 'b.com', name: 'B' });
    a = `sa:${saA.id}`;
    b = `sa:${saB.id}`;
    const vaA = await repos.virtualAccounts.upsert(saA.id, { name: 'a-ops', isDefault: true });
    // Customers created in an order other than their accounts', clusters interleaved across
    // customers, so the order by (customer, id) differs from the order of creation.
    const cN = await repos.customers.upsert({ name: 'No account' });
    const cB = await repos.customers.upsert({ name: 'Tenant B', smartAccountId: saB.id });
    const cA2 = await repos.customers.upsert({ name: 'Tenant A2', smartAccountId: saA.id });
    const cA1 = await repos.customers.upsert({ name: 'Tenant A1', smartAccountId: saA.id });
    const make = (customerId: number, name: string) =>
      repos.clusters.upsert({ customerId, name, type: 'CUCM', publisherAddress: `${name}.lab` });
    for (let i = 0; i < 3; i++) {
      await make(cA1.id, `a1-${i}`);
      await make(cB.id, `b-${i}`);
      await make(cN.id, `n-${i}`);
      await make(cA2.id, `a2-${i}`);
    }
    const assigned = await make(cA1.id, 'a1-assigned');
    await repos.clusters.assign(assigned.id, vaA.id, 'Manually Registered');
    // Assigned to A's VA though its customer is B's: A's by its VA, not B's.
    const crossed = await make(cB.id, 'b-in-a');
    await repos.clusters.assign(crossed.id, vaA.id, 'Manually Registered');
  });

  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const names = async (scopes: AlertScope[]) => {
    const states = await gatherAlertStates(h.db, scopes, { now: clock.now() });
    return new Map([...states].map(([s, st]) => [s, st.clusters.map((c) => c.name)]));
  };

  const A = ['b-in-a', 'a1-assigned', 'a2-0', 'a2-1', 'a2-2', 'a1-0', 'a1-1', 'a1-2'];
  const B = ['b-0', 'b-1', 'b-2'];
  const G = ['n-0', 'n-1', 'n-2'];

  // First, before any other test prepares (and caches) the statement. SQLite's plan: the
  // account's customers by customers_smart_account_idx (migration 0020),
  // then their unassigned clusters; never a walk of every unassigned cluster of the estate.
  it.skipIf(kind !== 'sqlite')(
    'unassigned clusters are found from the account’s customers',
    async () => {
      if (h.kind !== 'sqlite') return;
      const sqlite = h.sqlite;
      const seen: string[] = [];
      const prepare = sqlite.prepare.bind(sqlite);
      sqlite.prepare = (text: string) => {
        seen.push(text);
        return prepare(text);
      };
      try {
        await names([a]);
      } finally {
        sqlite.prepare = prepare;
      }
      const text = seen.find((q) => /"virtual_account_id" is null/.test(q));
      expect(text, `statements seen: ${seen.join(' ; ')}`).toBeDefined();
      const plan = (
        sqlite.prepare(`explain query plan ${text}`).all(Number(a.slice(3))) as { detail: string }[]
      )
        .map((r) => r.detail)
        .join(' | ');
      expect(plan).toContain('customers_smart_account_idx');
      expect(plan).toContain('clusters_va_customer_idx (virtual_account_id=? AND customer_id=?)');
    },
  );

  it('an account holds its assigned clusters and its customers’ unassigned ones only', async () => {
    expect((await names([a])).get(a)).toEqual(A);
    expect((await names([b])).get(b)).toEqual(B);
  });

  it('global holds the unassigned clusters of customers of no account', async () => {
    expect((await names(['global'])).get('global')).toEqual(G);
  });

  it('scopes gathered together hold what each holds alone (an account with global, as after a sync)', async () => {
    expect(await names([a, 'global'])).toEqual(
      new Map<AlertScope, string[]>([
        [a, A],
        ['global', G],
      ]),
    );
    expect(await names([a, b, 'global'])).toEqual(
      new Map<AlertScope, string[]>([
        [a, A],
        [b, B],
        ['global', G],
      ]),
    );
  });

  it('a scope of no account holds nothing', async () => {
    expect((await names(['sa:9999'])).get('sa:9999')).toEqual([]);
  });
});
