// Real: the emulator's pure parts — time helpers, the scenario generators and schema, the
// World model built from a scenario (in memory, no HTTP). Faked: nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { javaDate, parseDuration } from '../../emulator/util/time.ts';
import { demoScenario, scaleScenario } from '../../emulator/scenario/generate.ts';
import { resolveScenario } from '../../emulator/scenario/load.ts';
import { scenarioSchema } from '../../emulator/model/scenario-schema.ts';
import { World } from '../../emulator/model/world.ts';

describe('time helpers', () => {
  it('prints Java Date.toString() in UTC', () => {
    expect(javaDate(Date.parse('2024-11-20T19:31:12Z'))).toBe('Wed Nov 20 19:31:12 UTC 2024');
    expect(javaDate(Date.parse('2027-03-01T04:05:06Z'))).toBe('Mon Mar 01 04:05:06 UTC 2027');
  });

  it('parses ISO-8601 durations', () => {
    expect(parseDuration('P30D')).toBe(30 * 86_400_000);
    expect(parseDuration('PT1H30M')).toBe(5_400_000);
    expect(parseDuration('P1W')).toBe(7 * 86_400_000);
    expect(parseDuration('P1Y')).toBe(365 * 86_400_000);
    expect(parseDuration('PT0.5S')).toBe(500);
    for (const bad of ['30D', 'P', 'PT', 'P-1D', '']) expect(parseDuration(bad)).toBeUndefined();
  });
});

describe('scenarios', () => {
  it('data/scenarios/demo.json is what the demo generator produces', () => {
    const file = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../data/scenarios/demo.json'), 'utf8'),
    );
    expect(file).toEqual(JSON.parse(JSON.stringify(demoScenario())));
  });

  it('every file under data/scenarios/ is a valid scenario', () => {
    for (const f of ['demo.json', 'lab-small.json']) {
      const s = resolveScenario(join(import.meta.dirname, '../../data/scenarios', f));
      expect(s.schema).toBe('smartlic-emulator-scenario/1');
    }
  });

  it('the demo has 6 customers, 24 clusters of all three types from 11.5 to 15, and its trouble', () => {
    const s = scenarioSchema.parse(demoScenario());
    expect(s.customers).toHaveLength(6);
    expect(s.clusters).toHaveLength(24);
    expect(new Set(s.clusters.map((c) => c.type))).toEqual(new Set(['CUCM', 'CUC', 'CER']));
    expect(new Set(s.clusters.map((c) => c.version.split('.')[0]))).toEqual(
      new Set(['11', '12', '14', '15']),
    );
    const w = new World(s, { seed: 1, frozen: true });
    const globex = w.sas.get('nimbus-hcs.example.com')!.vas.get('va-globex')!;
    expect(w.allocOf(globex).result.shortages).toEqual([{ type: 'HUCM_Standard', quantity: 70 }]);
    expect(w.lifecycle(w.clusters.get('hooli-cucm-01')!).daysUntilAuthorizationExpiry).toBe(10);
    expect(w.clusters.get('stark-cucm-01')!.lastRegistrationAttempt?.status).toBe('FAILED');
    const sat = w.satelliteStatus(w.satellites.get('sat-eu-1')!);
    expect(sat).toMatchObject({ syncMode: 'disconnected', daysSinceLastSync: 27 });
  });

  it('is deterministic for a seed', () => {
    expect(demoScenario({ seed: 5 })).toEqual(demoScenario({ seed: 5 }));
    expect(scaleScenario(20, { seed: 2 })).toEqual(scaleScenario(20, { seed: 2 }));
  });

  it('scale N gives N customers with about 10 managed clusters each', () => {
    const s = scenarioSchema.parse(scaleScenario(100));
    expect(s.customers).toHaveLength(100);
    // 10–15 clusters per customer; about 10 of them smart-licensed and registered (what
    // smartlic manages, and what a `--scale 1000` benchmark stores: about 10 000).
    expect(s.clusters.length).toBeGreaterThanOrEqual(1000);
    expect(s.clusters.length).toBeLessThanOrEqual(1500);
    const managed = s.clusters.filter((c) => c.registration !== null).length;
    expect(managed).toBeGreaterThan(900);
    expect(managed).toBeLessThan(1100);
    expect(s.satellites.length).toBe(1);
    const w = new World(s, { seed: 1, frozen: true });
    expect(w.clusters.size).toBe(s.clusters.length);
  });

  it('rejects an invalid scenario with the path of the problem', () => {
    expect(() => resolveScenario({ clusters: [{ name: 'x' }] })).toThrow(/clusters\.0\./);
  });
});
