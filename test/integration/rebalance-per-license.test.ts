// A shortage alert carries the transfers that cover its own license, and applying them
// resolves exactly that alert at the next evaluation (issue 25: at scale 80 two HCS Emergency
// Responder alerts carried their VA's transfers of other licenses, marked `full`, and stayed
// open after those ran).
// Real: the CLI entry in-process (bin/smartlic.ts → the registry's `alerts`, `rebalance` and
// `rebalance --apply` → core's rebalance read model, planner and TransfersService → the CSSM
// client), the emulator (demo scenario, frozen clock) on loopback serving CSSM (its transfer
// call signed with a real OAuth token), a temp SQLite file with the real migrations, real
// syncs and alert evaluation. The extra demand is set on the emulator's admin API the way a
// product's usage grows. Faked: stdin/stdout are in-memory streams.
// Covers core/reports/rebalance.ts (rebalanceInputs: CSSM's counted demand; attachRebalanceFacts;
// `license`), core/domain/rebalance.ts (per-license proposals, proposalFacts),
// bot/commands/handlers/rebalance.ts (`--license`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globexLab, HCS, type GlobexLab } from './cli-globex-lab.ts';

let lab: GlobexLab;
beforeAll(async () => {
  lab = await globexLab('smartlic-rebalance-license-');
  // globex-cer-01 (HCS mode, drawing on va-globex, which owns 300 HCS Emergency Responder)
  // grows from 260 to 320 users: CSSM counts va-globex 20 short of HCER_User. smartlic does not
  // read that cluster (only globex-cucm-01 is added), so no cluster report explains the demand:
  // only CSSM's count shows it — the scale-80 case.
  const r = await fetch(`${lab.emu.baseUrl}/__emulator/clusters/globex-cer-01`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ demand: { CER_USER: 320 } }),
  });
  expect(r.status).toBe(200);
  expect((await lab.run(['sync'])).code).toBe(0);
}, 90_000);
afterAll(() => lab.close());

interface AlertRow {
  id: number;
  rule: string;
  state: string;
  facts: Record<string, unknown>;
}

/** va-globex's shortage alerts by license, in whatever shape `alerts --all --json` nests them. */
async function globexShortages(): Promise<Map<string, AlertRow>> {
  const r = await lab.run(['alerts', '--all', '--json']);
  expect(r.code, r.err).toBe(0);
  const found = new Map<string, AlertRow>();
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      const o = x as AlertRow;
      if (
        o.rule === 'insufficient-licenses' &&
        typeof o.state === 'string' &&
        JSON.stringify(o).includes('va-globex')
      )
        found.set(String(o.facts.licenseType), o);
      else Object.values(x).forEach(walk);
    }
  };
  walk(JSON.parse(r.out));
  return found;
}

async function owned(va: string, license: string): Promise<number> {
  const st = (await (await fetch(`${lab.emu.baseUrl}/__emulator/state`)).json()) as {
    smartAccounts: {
      domain: string;
      virtualAccounts: { name: string; licenses: { license: string; quantity: number }[] }[];
    }[];
  };
  return (
    st.smartAccounts
      .find((s) => s.domain === HCS)!
      .virtualAccounts.find((v) => v.name === va)!
      .licenses.filter((l) => l.license === license)
      .reduce((n, l) => n + l.quantity, 0) ?? 0
  );
}

/**
 * The HCER alert's transfers applied and synced: what the test before the last one does. The
 * last test makes it so itself when that test did not run before it in this process
 * (`npm run test:alone` runs each test by itself).
 */
async function ensureHcerApplied(): Promise<void> {
  const cer = (await globexShortages()).get('HCER_User')!;
  if (cer.state === 'resolved') return;
  const r = await lab.run(applyWords(cer));
  expect(r.code, r.err).toBe(0);
  expect((await lab.run(['sync'])).code).toBe(0);
}

/** The Apply transfer button's command, as the notifier writes it from the alert's facts. */
const applyWords = (a: AlertRow) => [
  'rebalance',
  '--apply',
  String(a.facts.rebalanceVa),
  '--days',
  String(a.facts.rebalanceDays),
  '--license',
  String(a.facts.rebalanceLicense),
  '--yes',
  '--json',
];

describe('each shortage alert of a VA carries and applies the transfers of its own license', () => {
  it('va-globex has two shortage alerts, each with the one transfer that covers it', async () => {
    const alerts = await globexShortages();
    const std = alerts.get('HUCM_Standard');
    const cer = alerts.get('HCER_User');
    expect(std?.state).toBe('open');
    expect(cer?.state).toBe('open');
    expect(cer!.facts).toMatchObject({
      shortage: 20,
      rebalance: 'full',
      rebalanceLicense: 'HCER_User',
      rebalanceTransfers: '20 HCS Emergency Responder (TERM) from va-hcs-ordered',
      rebalanceCommands: `smartlic license transfer ${HCS}/va-hcs-ordered ${HCS}/va-globex "HCS Emergency Responder" 20 --type TERM`,
      toOrder: 'nothing',
    });
    expect(std!.facts).toMatchObject({
      shortage: 70,
      rebalance: 'full',
      rebalanceLicense: 'HUCM_Standard',
      rebalanceTransfers: '70 HCS UCM Standard (TERM) from va-hcs-ordered',
      toOrder: 'nothing',
    });
  });

  it('`rebalance <va> --license` shows just that license\u2019s cover; an unknown license is refused', async () => {
    const r = await lab.run(['rebalance', `${HCS}/va-globex`, '--license', 'HCER_User', '--json']);
    expect(r.code, r.err).toBe(0);
    const plan = JSON.parse(r.out) as {
      license: string;
      proposals: { shortages: { type: string }[] }[];
      transfers: { type: string; quantity: number }[];
    };
    expect(plan.license).toBe('HCER_User');
    expect(plan.proposals.map((p) => p.shortages.map((s) => s.type))).toEqual([['HCER_User']]);
    expect(plan.transfers.map((t) => `${t.type} ${t.quantity}`)).toEqual(['HCER_User 20']);
    const bad = await lab.run(['rebalance', `${HCS}/va-globex`, '--license', 'HCER_Bogus']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('"HCER_Bogus" is not a license type');
    const noVa = await lab.run(['rebalance', '--license', 'HCER_User']);
    expect(noVa.code).not.toBe(0);
    expect(noVa.err).toContain('--license needs the VA');
  });

  it('applying the HCER alert\u2019s transfers moves only HCER, and only that alert resolves at the next evaluation', async () => {
    const cer = (await globexShortages()).get('HCER_User')!;
    const stdBefore = await owned('va-globex', 'HCS UCM Standard');
    const r = await lab.run(applyWords(cer));
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { transfers: { moved: number; plan: { license: string } }[] };
    expect(out.transfers.map((t) => `${t.plan.license} ${t.moved}`)).toEqual([
      'HCS Emergency Responder 20',
    ]);
    expect(await owned('va-globex', 'HCS Emergency Responder')).toBe(320);
    expect(await owned('va-globex', 'HCS UCM Standard')).toBe(stdBefore);

    expect((await lab.run(['sync'])).code).toBe(0);
    const after = await globexShortages();
    expect(after.get('HCER_User')?.state).toBe('resolved');
    // The other license's alert is untouched: still open, still offering its own transfer.
    expect(after.get('HUCM_Standard')).toMatchObject({
      state: 'open',
      facts: expect.objectContaining({ rebalance: 'full', shortage: 70 }),
    });
  });

  it('then the HCS UCM Standard alert\u2019s transfers resolve it, and nothing is left to apply', async () => {
    await ensureHcerApplied();
    const std = (await globexShortages()).get('HUCM_Standard')!;
    const r = await lab.run(applyWords(std));
    expect(r.code, r.err).toBe(0);
    expect((await lab.run(['sync'])).code).toBe(0);
    const after = await globexShortages();
    expect([...after.values()].filter((a) => a.state !== 'resolved')).toEqual([]);
    const again = await lab.run(applyWords(std));
    expect(again.code).not.toBe(0);
    expect(`${again.out}${again.err}`).toContain('NOTHING_TO_APPLY');
  });
});
