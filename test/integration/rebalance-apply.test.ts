// `smartlic rebalance --apply` on the terminal (issue 25): the plan runs through the transfers
// service, and the shortage alert it covers resolves at the next evaluation.
// Real: the CLI entry in-process (bin/smartlic.ts → bin/cli/terminal.ts → the registry's
// `rebalance --apply` → core TransfersService → the CSSM client), the emulator (demo scenario,
// frozen clock) on loopback serving CSSM's transfer call, a temp SQLite file with the real
// migrations, real syncs and alert evaluation. Faked: stdin/stdout are in-memory streams.
// Covers: bot/commands/handlers/rebalance.ts (rebalanceApply), bot/commands/layer.ts (preview
// and --yes), core/services/transfers.service.ts as the rebalancer calls it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globexLab, HCS, type GlobexLab } from './cli-globex-lab.ts';

let lab: GlobexLab;
beforeAll(async () => {
  lab = await globexLab('smartlic-rebalance-apply-');
}, 60_000);
afterAll(() => lab.close());

interface AlertRow {
  rule: string;
  state?: string;
  entityName?: string;
  details?: Record<string, unknown>;
}

async function owned(va: string): Promise<number> {
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
      .licenses.find((l) => l.license === 'HCS UCM Standard')?.quantity ?? 0
  );
}

/** va-globex's shortage alerts, in whatever shape `alerts --all --json` nests them. */
async function globexShortages(): Promise<AlertRow[]> {
  const r = await lab.run(['alerts', '--all', '--json']);
  expect(r.code, r.err).toBe(0);
  const found: AlertRow[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      const o = x as AlertRow;
      if (
        o.rule === 'insufficient-licenses' &&
        JSON.stringify(o).includes('va-globex') &&
        typeof o.state === 'string'
      )
        found.push(o);
      else Object.values(x).forEach(walk);
    }
  };
  walk(JSON.parse(r.out));
  return found;
}

describe('smartlic rebalance --apply', () => {
  it('without --yes shows the plan (each transfer, before and after) and moves nothing', async () => {
    const r = await lab.run(['rebalance', '--apply', `${HCS}/va-globex`]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`70 TERM HCS UCM Standard from va-hcs-ordered to va-globex`);
    expect(r.err).toMatch(/short before/);
    expect(r.err).toContain('--yes');
    expect(await owned('va-globex')).toBe(150);
  });

  it('--apply written after the VA is refused with the form to write', async () => {
    const r = await lab.run(['rebalance', `${HCS}/va-globex`, '--apply', '--yes']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('`--apply` comes right after the verb');
    expect(await owned('va-globex')).toBe(150);
  });

  it('a transfer CSSM refuses stops the plan: the error says which one and that nothing moved', async () => {
    const faults = `${lab.emu.baseUrl}/__emulator/faults`;
    const set = await fetch(faults, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        failRequests: [
          { path: '/licenses/transfer', times: 5, status: 400, message: 'Transfer refused' },
        ],
      }),
    });
    expect(set.status).toBeLessThan(300);
    try {
      const r = await lab.run(['rebalance', '--apply', `${HCS}/va-globex`, '--yes']);
      expect(r.code).toBe(1);
      expect(r.err).toContain(
        'Transfer 1 of 1 (70 TERM HCS UCM Standard from va-hcs-ordered to va-globex) failed',
      );
      expect(r.err).toContain('Nothing of the plan moved before it');
      expect(r.err).toContain(`run \`rebalance ${HCS}/va-globex\` again`);
      expect(await owned('va-globex')).toBe(150);
    } finally {
      await fetch(faults, { method: 'DELETE' });
    }
  });

  it('with --yes runs the transfer, and the shortage alert of va-globex resolves at the next evaluation', async () => {
    const open = (await globexShortages()).filter((a) => a.state !== 'resolved');
    expect(open.length, 'the demo starts with va-globex short').toBeGreaterThan(0);
    const r = await lab.run(['rebalance', '--apply', `${HCS}/va-globex`, '--yes', '--json']);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as {
      transfers: { moved: number; plan: { from: string; to: string; quantity: number } }[];
    };
    expect(out.transfers).toEqual([
      expect.objectContaining({
        moved: 70,
        plan: expect.objectContaining({
          from: `${HCS}/va-hcs-ordered`,
          to: `${HCS}/va-globex`,
          quantity: 70,
        }),
      }),
    ]);
    expect(await owned('va-globex')).toBe(220);
    expect(await owned('va-hcs-ordered')).toBe(1430);
    // The next evaluation: a sync evaluates the alerts.
    expect((await lab.run(['sync'])).code).toBe(0);
    const after = await globexShortages();
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((a) => a.state !== 'resolved')).toEqual([]);
    // Nothing left to apply: said, not asked.
    const again = await lab.run(['rebalance', '--apply', `${HCS}/va-globex`, '--yes']);
    expect(again.code).not.toBe(0);
    expect(again.err).toContain('NOTHING_TO_APPLY');
    expect(await owned('va-globex')).toBe(220);
  });
});
