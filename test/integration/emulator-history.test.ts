// Real: two emulators over loopback HTTP on the demo scenario with the same seed and the same
// today — one plain, one with a 90-day past (`historyDays`), both frozen — read through the
// admin API (`GET /__emulator/state`) and moved through `POST /__emulator/clock`. Nothing
// faked. Covers emulator/scenario/history.ts (the demo's past), the scenario timeline in
// emulator/model/world.ts, estate.ts and scenario-schema.ts, and `startEmulator({ historyDays })`: the lab
// with a past begins 90 days back, lives through growth, a customer running short, a cut-off
// cluster and a satellite that stops syncing, and arrives exactly at the plain demo's today.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type LocalEmulator } from '../../emulator/index.ts';
import { withPast } from '../../emulator/scenario/history.ts';
import { demoScenario } from '../../emulator/scenario/generate.ts';

const TODAY = '2026-12-07T19:00:00Z';
const DAY = 86_400_000;
const end = Date.parse(TODAY);
const SATELLITE_FED = new Set(['va-initech', 'va-umbrella']);

interface State {
  now: string;
  smartAccounts: {
    domain: string;
    virtualAccounts: {
      name: string;
      shortages: { type: string; quantity: number }[];
      tokens: { token: string }[];
      licenses: { quantity: number; inUse: number }[];
    }[];
  }[];
  satellites: { lastSync: string | null; syncOverdue: boolean }[];
  clusters: {
    name: string;
    demand: Record<string, number>;
    cutoff: boolean;
    registration: { status: string | null; lastAttempt: { at: string; status: string } | null };
    authorization: { status: string | null; lastSuccess: string | null };
  }[];
}

let plain: LocalEmulator;
let past: LocalEmulator;

const state = async (e: LocalEmulator) =>
  (await (await fetch(`${e.baseUrl}/__emulator/state`)).json()) as State;
const setClock = async (e: LocalEmulator, at: number) => {
  const r = await fetch(`${e.baseUrl}/__emulator/clock`, {
    method: 'POST',
    body: JSON.stringify({ set: new Date(at).toISOString() }),
  });
  expect(r.status).toBe(200);
};
const va = (s: State, name: string) =>
  s.smartAccounts.flatMap((a) => a.virtualAccounts).find((v) => v.name === name)!;
const cluster = (s: State, name: string) => s.clusters.find((c) => c.name === name)!;
const sum = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  plain = await startEmulator({ now: TODAY, frozen: true });
  past = await startEmulator({ now: TODAY, historyDays: 90, frozen: true });
});
afterAll(async () => {
  await plain.close();
  await past.close();
});

describe('the demo lab with a 90-day past', () => {
  it('begins 90 days back: less demand, nobody short, the satellite synced, tokens not yet minted', async () => {
    expect(past.now()).toBe(end - 90 * DAY);
    const then = await state(past);
    const today = await state(plain);
    for (const c of today.clusters) {
      if (sum(c.demand) === 0) continue;
      expect(sum(cluster(then, c.name).demand), c.name).toBeLessThan(sum(c.demand));
    }
    expect(va(then, 'va-globex').shortages).toEqual([]);
    expect(va(today, 'va-globex').shortages).toEqual([{ type: 'HUCM_Standard', quantity: 70 }]);
    expect(cluster(then, 'hooli-cucm-01').cutoff).toBe(false);
    expect(cluster(then, 'stark-cucm-01').registration.lastAttempt).toBeNull();
    expect(va(then, 'va-globex').tokens).toEqual([]);
    expect(then.satellites[0]!.syncOverdue).toBe(false);
  });

  it('lives through its past: the shortage begins, the satellite stops syncing for a while', async () => {
    const seen = { shortFrom: -1, overdue: [] as number[] };
    for (let d = 89; d >= 1; d--) {
      await setClock(past, end - d * DAY);
      const s = await state(past);
      if (seen.shortFrom < 0 && va(s, 'va-globex').shortages.length > 0) seen.shortFrom = d;
      if (s.satellites[0]!.syncOverdue) seen.overdue.push(d);
    }
    // Globex outgrows its HCS UCM Standard weeks ago, not on day one nor today.
    expect(seen.shortFrom).toBeGreaterThan(10);
    expect(seen.shortFrom).toBeLessThan(80);
    // Overdue (≥ 30 days without a sync) for a while, then synced again 27 days ago.
    expect(seen.overdue.length).toBeGreaterThan(5);
    expect(Math.min(...seen.overdue)).toBeGreaterThan(27);
  });

  it("arrives at the plain demo's today", async () => {
    await setClock(past, end);
    const a = await state(past);
    const b = await state(plain);
    expect(a.now).toBe(b.now);
    for (const c of b.clusters) {
      const x = cluster(a, c.name);
      expect(x.demand, c.name).toEqual(c.demand);
      expect(x.cutoff, c.name).toBe(c.cutoff);
      expect(x.registration.status, c.name).toBe(c.registration.status);
      expect(x.authorization.status, c.name).toBe(c.authorization.status);
    }
    // Cut off just after its last renewal, 80 days ago, as in the plain demo.
    expect(cluster(a, 'hooli-cucm-01').authorization.lastSuccess).toBe(
      cluster(b, 'hooli-cucm-01').authorization.lastSuccess,
    );
    expect(cluster(a, 'stark-cucm-01').registration.lastAttempt).toEqual(
      cluster(b, 'stark-cucm-01').registration.lastAttempt,
    );
    for (const sa of b.smartAccounts) {
      for (const v of sa.virtualAccounts) {
        const x = va(a, v.name);
        expect(x.shortages, v.name).toEqual(v.shortages);
        expect(x.tokens.map((t) => t.token).sort(), v.name).toEqual(
          v.tokens.map((t) => t.token).sort(),
        );
        // A VA fed by the satellite: the cloud counts the usage of the satellite's last sync
        // (27 days ago), which the plain demo takes from today (it has no earlier usage).
        const fed = SATELLITE_FED.has(v.name);
        const row = (l: { quantity: number; inUse: number }) =>
          fed ? [l.quantity] : [l.quantity, l.inUse];
        expect(x.licenses.map(row), v.name).toEqual(v.licenses.map(row));
      }
    }
    expect(a.satellites[0]!.lastSync).toBe(b.satellites[0]!.lastSync);
  });

  it('a timeline event naming what does not exist is refused with where it is', async () => {
    const s = withPast(demoScenario({ now: TODAY }), { days: 10, seed: 1 });
    s.timeline = [
      ...(s.timeline ?? []),
      { kind: 'cutoff', at: TODAY, cluster: 'no-such-cluster', cutoff: true },
    ];
    const r = await fetch(`${plain.baseUrl}/__emulator/scenario`, {
      method: 'POST',
      body: JSON.stringify({ scenario: s }),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(
      /timeline\[\d+\] \(cutoff at 2026-12-07T19:00:00Z\): no cluster no-such-cluster/,
    );
  });
});
