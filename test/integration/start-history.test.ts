// Real: `smartlic start --once` and the read verbs through bin/smartlic.ts main() in this
// process, as a user runs them: the embedded emulator (demo scenario) started by start's lab on
// loopback, real provisioning, real full syncs over HTTP at each simulated day of the lab's
// 90-day past, the real alert evaluation, a real SQLite temp file read back with better-sqlite3.
// Faked: stdin/stdout/stderr are in-memory streams (no TTY); nothing else.
// Covers bin/cli/lab-history.ts, the history parts of bin/cli/lab.ts and bin/cli/start.ts,
// PinnableClock (core/clock.ts): a new lab's first start leaves ≥ 60 days of usage snapshots
// taken at the lab's simulated days, `forecast` answers for every license type of every VA of
// the demo, past alerts are history, both clocks end at the real now, and a second start does
// not run the past again.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../support/helpers.ts';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'smartlic-start-history-'));
const db = join(dir, 'smartlic.db');
const env: NodeJS.ProcessEnv = {
  SMARTLIC_DB: db,
  SMARTLIC_SITE_OUT: join(dir, 'site'),
  SMARTLIC_LOG_LEVEL: 'warn',
  SMARTLIC_LAB_HISTORY_DAYS: '90',
};
const run = (argv: string[]) => runCli(argv, env);

let first: CliRun;
let startedAt: number;

beforeAll(async () => {
  startedAt = Date.now();
  first = await run(['start', '--once']);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function snapshotDays(): { days: number; rows: number; first: string; last: string } {
  const sql = new Database(db, { readonly: true });
  try {
    return sql
      .prepare(
        `select count(distinct substr(taken_at, 1, 10)) as days, count(*) as rows,
           min(taken_at) as first, max(taken_at) as last from usage_snapshots`,
      )
      .get() as { days: number; rows: number; first: string; last: string };
  } finally {
    sql.close();
  }
}

function historySyncJobs(): number {
  const sql = new Database(db, { readonly: true });
  try {
    return (
      sql.prepare(`select count(*) as n from jobs where requested_by = 'lab history'`).get() as {
        n: number;
      }
    ).n;
  } finally {
    sql.close();
  }
}

describe('the first start of a new demo lab lives through its 90-day past', () => {
  it('syncs once a simulated day, then at the present', () => {
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^the lab's past: 90 days from \d{4}-\d\d-\d\d, one sync a day/m);
    expect(first.out).toMatch(/^the lab's past: 90 days synced in [\d.]+ s; now /m);
    expect(first.out.match(/^sync .*: ok/gm)?.length).toBe(4);
    // The progress line (stderr, not a terminal): every 10 simulated days.
    expect(first.err).toMatch(/^the lab's past: \d{4}-\d\d-\d\d \(day 90 of 90\)$/m);
  });

  it('leaves ≥ 60 distinct days of usage snapshots, from 90 days ago to today', () => {
    const s = snapshotDays();
    expect(s.days).toBeGreaterThanOrEqual(60);
    const firstAt = Date.parse(s.first);
    expect(firstAt).toBeGreaterThan(startedAt - 91 * DAY);
    expect(firstAt).toBeLessThan(startedAt - 89 * DAY);
    // The last one is the present's sync, at the real now (smartlic's clock released).
    expect(Math.abs(Date.parse(s.last) - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('forecast answers for every license type of every VA of the demo', async () => {
    const list = await run(['va', 'list', '--json']);
    expect(list.code, list.err).toBe(0);
    const vas = JSON.parse(list.out) as unknown;
    const refs = refsOf(vas);
    expect(refs.length).toBeGreaterThanOrEqual(9);
    const outcomes = new Map<string, number>();
    let rows = 0;
    for (const ref of refs) {
      const f = await run(['forecast', ref, '--json']);
      expect(f.code, `${ref}: ${f.err}`).toBe(0);
      const doc = JSON.parse(f.out) as { rows: { licenseType: string; outcome: string }[] };
      for (const r of doc.rows) {
        expect(r.outcome, `${ref} ${r.licenseType}`).not.toBe('not enough data');
        outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(20);
    // Growth shows: some types cross owned at the trend; Globex is already short.
    expect(outcomes.get('crosses') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('already short') ?? 0).toBeGreaterThan(0);
  });

  it('alerts of the past are history; what is open now is open', async () => {
    const all = await run(['alerts', '--all', '--json']);
    expect(all.code, all.err).toBe(0);
    const alerts = alertsOf(JSON.parse(all.out) as unknown);
    const resolved = alerts.filter((a) => a.state === 'resolved');
    // Raised and resolved during the past (forecasts that the trend later took back, …).
    expect(resolved.length).toBeGreaterThan(0);
    for (const a of resolved) expect(Date.parse(a.resolvedAt!)).toBeLessThan(Date.now() - DAY);
    const open = alerts.filter((a) => a.state === 'open').map((a) => a.title);
    expect(open).toContainEqual(
      expect.stringMatching(/^va-globex is short of 70 HCS UCM Standard/),
    );
    expect(open).toContain('Authorization of hooli-cucm-01 expires in 10 days');
  });

  it("ends with the lab's clock at the real now, running", () => {
    const meta = JSON.parse(readFileSync(`${db}.lab.json`, 'utf8')) as {
      offsetMs: number;
      history: { days: number; done: boolean };
    };
    expect(meta.history).toEqual({ days: 90, done: true });
    expect(Math.abs(meta.offsetMs)).toBeLessThan(60_000);
  });

  it('a second start does not run the past again', async () => {
    const before = { snapshots: snapshotDays(), jobs: historySyncJobs() };
    expect(before.jobs).toBeGreaterThanOrEqual(90 * 4);
    const again = await run(['start', '--once']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/lab restored from .*\(\d+ requests replayed\)/);
    expect(again.out).not.toMatch(/the lab's past/);
    expect(again.out.match(/^sync .*: ok/gm)?.length).toBe(4);
    expect(historySyncJobs()).toBe(before.jobs);
    const after = snapshotDays();
    expect(after.first).toBe(before.snapshots.first);
    expect(after.days - before.snapshots.days).toBeLessThanOrEqual(1);
  }, 120_000);
});

/** `<domain>/<va>` of every VA in `va list --json`. */
function refsOf(doc: unknown): string[] {
  return (doc as { label: string }[]).map((r) => r.label);
}

function alertsOf(doc: unknown): { state: string; title: string; resolvedAt: string | null }[] {
  return doc as { state: string; title: string; resolvedAt: string | null }[];
}
