// Real: the store with the real migrations and repositories — SQLite in a temp file and, when
// SMARTLIC_TEST_PG is set, PostgreSQL (this file's own database on that server; its ILIKE is
// the other form of the SQL filter); core/reports' virtualAccountSummary
// (core/reports/accounts.ts) reading it. Faked: nothing; the license lines are generated
// (seeded, so a failure replays).
// Covers: "a license line is short" is decided by core/domain/compliance.ts `isShort`, and the
// VA summary pre-selects candidate lines in SQL. This holds that SQL copy to the domain rule: on
// thousands of generated lines, the report names exactly the lines `isShort` calls short, on
// each store; and the insufficient-licenses alerts (core/services/alert-state.ts, the rule in
// core/domain/alert-rules.ts) name exactly those lines too, so the attention list (the open
// alerts) and the VA summary agree, a line short by CSSM's status alone included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { isShort } from '../../core/domain/compliance.ts';
import { loadConfig } from '../../core/config.ts';
import { evaluateAlerts } from '../../core/domain/alert-rules.ts';
import { virtualAccountSummary } from '../../core/reports/index.ts';
import { gatherAlertStates } from '../../core/services/alert-state.ts';
import { alertThresholds } from '../../core/services/alerts.service.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  type StoreHandle,
} from '../../core/store/index.ts';
import { Rng } from '../../emulator/util/rng.ts';
import { openTestStore, storeKinds } from '../support/pg.ts';

/** The emulator's seeded PRNG (mulberry32): the same seed gives the same cases. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

// CSSM's statuses as they come, and the ways a status string can differ from the canonical
// one that `isShort` still accepts (case, spaces, tabs, line ends, no-break space) or rejects.
const STATUSES = [
  'In Compliance',
  'Authorized',
  '',
  'Insufficient Licenses',
  'insufficient licenses',
  '  INSUFFICIENT LICENSES  ',
  'Insufficient Licenses\n',
  '\tInsufficient Licenses',
  '\u00a0Insufficient Licenses\u00a0',
  '\r\nInsufficient Licenses',
  'Insufficient  Licenses',
  'Insufficient Licenses (pending)',
  'Not Insufficient Licenses',
];

const SEED = 20261207;
const VAS = 40;
const LINES_PER_VA = 60;

interface Line {
  va: string;
  type: string;
  quantity: number;
  inUse: number;
  available: number;
  status: string;
}

const clock = new TestClock('2026-12-07T12:00:00Z');
const DOMAIN = 'gen.example.com';

describe.each(storeKinds())('one rule for "a license line is short" (%s)', (kind) => {
  let h: StoreHandle;
  let dir: string;
  const lines: Line[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smartlic-shortage-'));
    h = await openTestStore(kind, { path: join(dir, 'smartlic.db'), clock });
    await migrateToLatest(h.db);
    const repos = createRepositories(h.db, SecretBox.random(), clock);
    const sa = await repos.smartAccounts.upsert({
      domain: DOMAIN,
      clientId: 'c',
      clientSecret: 's',
    });
    const r = rng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const small = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    for (let v = 0; v < VAS; v++) {
      const va = await repos.virtualAccounts.upsert(sa.id, { name: `va-${v}` });
      const rows = [];
      for (let i = 0; i < LINES_PER_VA; i++) {
        const quantity = small(0, 12);
        const inUse = small(0, 14);
        // As CSSM reports it (quantity - inUse), or not quite (a stale or odd answer).
        const available = r() < 0.6 ? quantity - inUse : small(-4, 12);
        const status = r() < 0.5 ? pick(STATUSES.slice(0, 3)) : pick(STATUSES);
        const line = { va: `va-${v}`, type: `LT_${i}`, quantity, inUse, available, status };
        lines.push(line);
        rows.push({
          virtual_account_id: va.id,
          license_type: line.type,
          display_name: line.type,
          quantity,
          in_use: inUse,
          available,
          reserved: 0,
          pending_quantity: 0,
          status,
          billing_type: 'PREPAID' as const,
          is_portable: 0,
          updated_at: clock.now().toISOString(),
        });
      }
      await h.db.insertInto('licenses').values(rows).execute();
    }
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The domain rule's answer: "va/type" of every short line. */
  const expected = () =>
    lines
      .filter((l) => isShort(l))
      .map((l) => `${l.va}/${l.type}`)
      .sort();

  it('the generated lines exercise both answers and every status form', () => {
    const short = expected();
    expect(short.length).toBeGreaterThan(lines.length / 10);
    expect(short.length).toBeLessThan(lines.length);
    // Short by status alone (the counts show none): the case the SQL's status test must pass.
    const byStatusOnly = lines.filter(
      (l) => isShort(l) && !isShort({ ...l, status: 'In Compliance' }),
    );
    expect(new Set(byStatusOnly.map((l) => l.status)).size).toBeGreaterThanOrEqual(6);
  });

  it('virtualAccountSummary (core/reports/accounts.ts) lists exactly the short lines', async () => {
    const rows = await virtualAccountSummary(h.db);
    expect(rows).toHaveLength(VAS);
    const got = rows.flatMap((r) => r.shortTypes.map((t) => `${r.name}/${t}`)).sort();
    expect(got).toEqual(expected());
    for (const r of rows) {
      const anyShort = lines.some((l) => l.va === r.name && isShort(l));
      expect(r.compliance).toBe(anyShort ? 'Out of Compliance' : 'In Compliance');
    }
  });

  it('the insufficient-licenses alerts (core/services/alert-state.ts) name exactly the short lines', async () => {
    const sa = await h.db
      .selectFrom('smart_accounts')
      .select('id')
      .where('domain', '=', DOMAIN)
      .executeTakeFirstOrThrow();
    const scope = `sa:${sa.id}` as const;
    const states = await gatherAlertStates(h.db, [scope], { now: clock.now() });
    const alerts = evaluateAlerts(states.get(scope)!, alertThresholds(loadConfig({ env: {} })));
    const got = alerts
      .filter((a) => a.rule === 'insufficient-licenses')
      .map((a) => `${a.entity.name}/${String(a.facts['licenseType'])}`)
      .sort();
    expect(got).toEqual(expected());
    // A line short by CSSM's status alone says so, not "short of 0".
    expect(alerts.some((a) => / short of 0 /.test(a.title))).toBe(false);
  });
});
