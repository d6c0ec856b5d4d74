// Real: emulator/scenario/history.ts (`withPast`) on the real demo generator, parsed by the real
// scenario schema; core/clock.ts PinnableClock over a TestClock. Nothing faked; no I/O.
// Pure rules of the lab's past: every timeline entry lies inside the past and names a cluster,
// satellite or pool of the scenario; each cluster's last demand entry is today's demand;
// registrations and the satellite's state at the start lie before it; a pinned clock says the
// pinned time and, released, the time of the clock under it.
import { describe, expect, it } from 'vitest';
import { PinnableClock, TestClock } from '../../core/clock.ts';
import { scenarioSchema } from '../../emulator/model/scenario-schema.ts';
import { demoScenario } from '../../emulator/scenario/generate.ts';
import { withPast } from '../../emulator/scenario/history.ts';

const NOW = '2026-12-07T19:00:00Z';
const DAY = 86_400_000;
const end = Date.parse(NOW);
const start = end - 90 * DAY;

describe('withPast (the demo with 90 days of past)', () => {
  const today = scenarioSchema.parse(demoScenario({ now: NOW }));
  const past = scenarioSchema.parse(demoScenario({ now: NOW, historyDays: 90 }));

  it('keeps every entry of the timeline inside the past, naming what exists', () => {
    expect(past.timeline.length).toBeGreaterThan(100);
    const clusters = new Set(past.clusters.map((c) => c.name));
    for (const e of past.timeline) {
      const at = Date.parse(e.at);
      expect(at, `${e.kind} ${e.at}`).toBeGreaterThan(start);
      expect(at, `${e.kind} ${e.at}`).toBeLessThanOrEqual(end);
      if ('cluster' in e) expect(clusters.has(e.cluster)).toBe(true);
    }
  });

  it("ends every cluster's demand at today's, from less at the start", () => {
    for (const c of today.clusters) {
      const mine = past.timeline.filter((e) => e.kind === 'demand' && e.cluster === c.name);
      if (Object.keys(c.demand).length === 0) {
        expect(mine).toEqual([]);
        continue;
      }
      expect(mine.at(-1)).toMatchObject({ demand: c.demand });
      const atStart = past.clusters.find((x) => x.name === c.name)!.demand;
      for (const [t, n] of Object.entries(c.demand)) {
        expect(atStart[t as keyof typeof atStart]!, `${c.name} ${t}`).toBeLessThanOrEqual(n);
      }
    }
  });

  it('begins with registrations, renewals and the satellite sync before the past', () => {
    for (const c of past.clusters) {
      const r = c.registration;
      if (!r) continue;
      expect(Date.parse(r.registeredAt), c.name).toBeLessThanOrEqual(start);
      expect(Date.parse(r.lastAuthorizationSuccessAt!), c.name).toBeLessThanOrEqual(start);
    }
    const hooli = past.clusters.find((c) => c.name === 'hooli-cucm-01')!;
    expect(hooli.cutoff).toBe(false);
    const cut = past.timeline.find((e) => e.kind === 'cutoff');
    // Cut off one hour after its last successful renewal, 80 days before today.
    expect(cut).toMatchObject({ cluster: 'hooli-cucm-01', cutoff: true });
    expect(Date.parse(cut!.at)).toBe(end - 80 * DAY + 3_600_000);
    const sat = past.satellites[0]!;
    expect(Date.parse(sat.lastSync!)).toBeLessThanOrEqual(start);
    const syncs = past.timeline.filter((e) => e.kind === 'satelliteSync').map((e) => e.at);
    // Monthly, then 45 days without one, then today's last sync (27 days ago).
    expect(syncs.at(-1)).toBe(today.satellites[0]!.lastSync);
    expect(Date.parse(syncs.at(-1)!) - Date.parse(syncs.at(-2)!)).toBe(45 * DAY);
  });

  it('is the same for the same seed and refuses a past of no days', () => {
    expect(demoScenario({ now: NOW, historyDays: 90 })).toEqual(
      demoScenario({ now: NOW, historyDays: 90 }),
    );
    expect(() => withPast(demoScenario({ now: NOW }), { days: 0, seed: 1 })).toThrow(/days/);
  });
});

describe('PinnableClock', () => {
  it('says the pinned time while pinned, the base clock once released', () => {
    const base = new TestClock('2026-12-07T19:00:00Z');
    const clock = new PinnableClock(base);
    expect(clock.now().toISOString()).toBe('2026-12-07T19:00:00.000Z');
    clock.pin(Date.parse('2026-09-08T19:00:00Z'));
    base.advance({ minutes: 5 });
    expect(clock.isPinned).toBe(true);
    expect(clock.now().toISOString()).toBe('2026-09-08T19:00:00.000Z');
    clock.release();
    expect(clock.isPinned).toBe(false);
    expect(clock.now().toISOString()).toBe('2026-12-07T19:05:00.000Z');
  });
});
