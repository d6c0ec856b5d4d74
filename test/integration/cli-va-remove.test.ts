// `smartlic va remove` and the bot's `va remove` (issue 14): removing a VA by hand.
// Real: bin/smartlic.ts main() (account, va, cluster, sync, jobs, ask verbs: the registry's specs
// run by bin/cli/terminal.ts) over SQLite in a
// temp file, the real services and the emulator (demo scenario, frozen clock) on loopback.
// Faked: stdin/stdout/stderr are in-memory streams; one VA is marked missing by an UPDATE on
// the database (what a sync whose VA list lacks it records) because the emulator always lists
// its VAs.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HCS, globexLab, type GlobexLab } from './cli-globex-lab.ts';

let lab: GlobexLab;
let env: NodeJS.ProcessEnv;
const run = (argv: string[], stdin = '') => lab.run(argv, stdin);

function sqlite<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(env.SMARTLIC_DB);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
const vaRow = (name: string) =>
  sqlite(
    (db) =>
      db
        .prepare('select id, removed_at, missing_since from virtual_accounts where name = ?')
        .get(name) as { id: number; removed_at: string | null; missing_since: string | null },
  );

beforeAll(async () => {
  lab = await globexLab('smartlic-va-remove-');
  ({ env } = lab);
}, 60_000);

afterAll(() => lab.close());

describe('va remove', () => {
  it('without --yes says what it would remove and changes nothing (exit 2)', async () => {
    const r = await run(['va', 'remove', `${HCS}/va-acme`]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/CONFIRM: `va remove .*va-acme` .*nothing was changed/);
    expect(r.err).toMatch(/removes a VA from smartlic with its licenses, tokens and devices/);
    expect(r.err).toMatch(/add --yes to run it: smartlic va remove .*va-acme --yes/);
    expect(vaRow('va-acme').removed_at).toBeNull();
  });

  it('refuses while clusters are assigned: the reason and the fix, as a failed job', async () => {
    const r = await run(['va', 'remove', `${HCS}/va-globex`, '--yes']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /VA_CLUSTERS_ASSIGNED: .*1 cluster\(s\) are assigned to it \(globex-cucm-01\)/,
    );
    expect(r.err).toMatch(/smartlic cluster assign <name> <sa>\/<va>/);
    expect(vaRow('va-globex').removed_at).toBeNull();
    const jobs = await run(['jobs', '--json']);
    expect(jobs.out).toMatch(/"jobType": "Remove Virtual Account"[\s\S]*?"status": "Failed"/);
  });

  it('refuses the operational VA auto-registration targets', async () => {
    expect((await run(['va', 'mode', `${HCS}/va-hcs-operational`, 'HCS', '--yes'])).code).toBe(0);
    const cfg = await run([
      'cluster',
      'auto-register',
      '--sa',
      HCS,
      '--operational-va',
      'va-hcs-operational',
    ]);
    expect(cfg.code, cfg.err).toBe(0);
    const r = await run(['va', 'remove', `${HCS}/va-hcs-operational`, '--yes']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/VA_AUTO_REGISTRATION_TARGET: .*auto-registration/);
    expect(r.err).toMatch(/--operational-va <va>/);
    expect(vaRow('va-hcs-operational').removed_at).toBeNull();
  });

  it('removes a VA CSSM no longer lists, keeps its history, job and audit entry', async () => {
    const { id } = vaRow('va-acme');
    sqlite((db) =>
      db
        .prepare(
          "update virtual_accounts set missing_since = '2026-01-01T03:00:00.000Z', missing_syncs = 2 where id = ?",
        )
        .run(id),
    );
    const snapshotsBefore = sqlite(
      (db) =>
        (
          db
            .prepare('select count(*) as n from usage_snapshots where virtual_account_id = ?')
            .get(id) as { n: number }
        ).n,
    );
    expect(snapshotsBefore).toBeGreaterThan(0);
    const list = await run(['va', 'list', '--wide']);
    expect(list.out).toMatch(/va-acme .*since 2026-01-01 \(2 syncs\)/);
    const r = await run(['va', 'remove', `${HCS}/va-acme`, '--yes', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as {
      removed: string;
      licenses: number;
      stillListed: boolean;
      job: { status: string; jobType: string };
    };
    expect(j.removed).toBe(`${HCS}/va-acme`);
    expect(j.licenses).toBeGreaterThan(0);
    expect(j.stillListed).toBe(false);
    expect(j.job).toMatchObject({ status: 'Completed', jobType: 'Remove Virtual Account' });
    expect(vaRow('va-acme').removed_at).not.toBeNull();
    const after = sqlite((db) => ({
      snapshots: (
        db
          .prepare('select count(*) as n from usage_snapshots where virtual_account_id = ?')
          .get(id) as { n: number }
      ).n,
      licenses: (
        db.prepare('select count(*) as n from licenses where virtual_account_id = ?').get(id) as {
          n: number;
        }
      ).n,
      audit: (
        db
          .prepare(
            "select count(*) as n from audit_log where action = 'Remove Virtual Account' and entity_id = ?",
          )
          .get(`${HCS}/va-acme`) as { n: number }
      ).n,
    }));
    expect(after).toMatchObject({ snapshots: snapshotsBefore, licenses: 0 });
    expect(after.audit).toBeGreaterThan(0);
    expect((await run(['va', 'list'])).out).not.toContain('va-acme');
    // Gone from smartlic: a second removal is a not-found name (exit 2).
    expect((await run(['va', 'remove', `${HCS}/va-acme`, '--yes'])).code).toBe(2);
  });

  it('the bot: operator role, asks for confirmation, then runs the same job', async () => {
    const ask = await run(['ask', `va remove ${HCS}/va-hcs-ordered`]);
    expect(ask.code).toBe(1);
    expect(ask.out).toContain('add --yes');
    expect(vaRow('va-hcs-ordered').removed_at).toBeNull();
    const yes = await run(['ask', `va remove ${HCS}/va-hcs-ordered --yes`]);
    expect(yes.code, yes.out).toBe(0);
    expect(vaRow('va-hcs-ordered').removed_at).not.toBeNull();
    const viewer = await run(['ask', '--as', 'slack:UVIEW', `va remove ${HCS}/va-globex --yes`]);
    expect(viewer.code).toBe(1);
    expect(viewer.out).toContain('needs the operator role');
  });
});
