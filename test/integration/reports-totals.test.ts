// Real: the emulator (demo scenario, frozen simulated clock) over loopback HTTP as CSSM cloud and
// CSSM On-Prem; the real provision and sync services writing a SQLite temp file; core/reports
// reading it. Faked: the smartlic clock is a TestClock kept equal to the emulator's; a few older
// usage snapshots are appended through the repository (as earlier syncs would have). Every
// expected value is worked out by hand from data/scenarios/demo.json, not with core's functions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as reports from '../../core/reports/index.ts';
import {
  provisionCloud,
  provisionSatellite,
  seedClusters,
  setup,
  type Fixture,
} from './sync-fixture.ts';

let fx: Fixture;
const HCS = 'nimbus-hcs.example.com';
const db = () => fx.h.db;

beforeAll(async () => {
  fx = await setup();
  const accounts = [
    await provisionCloud(fx, 0),
    await provisionCloud(fx, 1),
    await provisionSatellite(fx, 'la-initech'),
    await provisionSatellite(fx, 'la-umbrella'),
  ];
  await seedClusters(fx);
  for (const a of accounts) {
    const o = await fx.services.sync.syncAccount(a.account.id, { requestedBy: 'test' });
    expect(o.status).toBe('Completed');
  }
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

const va = (label: string) => reports.resolveVirtualAccount(db(), label);

describe('totals across every VA', () => {
  it('a satellite VA mirrors the cloud VA of the same name', async () => {
    expect((await reports.satelliteMirrors(db())).map((m) => [m.satellite, m.cloud])).toEqual([
      ['la-initech.local/va-initech', 'nimbus-eu.example.com/va-initech'],
      ['la-umbrella.local/va-umbrella', 'nimbus-eu.example.com/va-umbrella'],
    ]);
  });

  it('owned, in use and shortage per license type, every VA added up', async () => {
    const rows = await reports.licenseTotals(db());
    const by = new Map(rows.map((r) => [r.licenseType, r]));
    // Owned: the quantities of demo.json summed over the VAs smartlic syncs. va-initech and
    // va-umbrella are listed twice: by CSSM cloud (nimbus-eu) and by their satellite local
    // accounts (la-initech, la-umbrella); the satellite's mirror is counted once (the cloud's).
    const owned = (t: string) => by.get(t)?.owned;
    // HCS UCM Foundation: ordered 4000 + operational 800 + globex 500 + eu-ordered 2000
    // + initech 300 + umbrella 450 (in use 1,260: without the mirrors' 230 + 400 again).
    expect(owned('HUCM_Foundation')).toBe(8050);
    expect(by.get('HUCM_Foundation')?.inUse).toBe(1260);
    // 1500 + 200 + 150 + 500 + 60 + 80
    expect(owned('HUCM_Standard')).toBe(2490);
    // 50 + 10 + umbrella 10
    expect(owned('HUCM_TelePresenceRoom')).toBe(70);
    // 2000 + 500 + 250 + 200 + 400
    expect(owned('HCUC_BasicMessaging')).toBe(3350);
    // 300 + 100
    expect(owned('HCUC_StandardMessaging')).toBe(400);
    // 1500 + 600 + 300 + 250 + 500
    expect(owned('HCER_User')).toBe(3150);
    // initech 50
    expect(owned('HUCM_Basic')).toBe(50);
    // va-acme alone: 300 perpetual + 100 term Enhanced; the others as listed.
    expect(
      ['UCM_Enhanced', 'UCM_EnhancedPlus', 'UCM_CUWL', 'UCM_Basic', 'CER_USER'].map(owned),
    ).toEqual([400, 20, 100, 100, 400]);
    // va-acme's own demand where nothing is borrowed: acme-cucm-02 asks 80 Basic, acme-cuc-01
    // 240 Basic and 20 Enhanced Messaging, acme-cucm-01 4 TelePresence Room.
    expect(
      ['UCM_Basic', 'CUC_BasicMessaging', 'CUC_EnhancedMessaging', 'UCM_TelePresenceRoom'].map(
        (t) => [by.get(t)?.inUse, by.get(t)?.available, by.get(t)?.virtualAccounts],
      ),
    ).toEqual([
      [80, 20, 1],
      [240, 60, 1],
      [20, 5, 1],
      [4, 1, 1],
    ]);
    // Enhanced: 320 + 90 asked of 400 owned: all in use, the 10 over borrowed elsewhere.
    expect(by.get('UCM_Enhanced')).toMatchObject({ inUse: 400, available: 0, shortage: 0 });
    // The one shortage of the demo: va-globex asks 220 HCS UCM Standard of 150 (70 short). The
    // other five VAs listing the type have room, and their surplus does not cover it.
    expect(by.get('HUCM_Standard')).toMatchObject({
      shortage: 70,
      virtualAccounts: 6,
      shortVirtualAccounts: 1,
    });
    expect(rows.filter((r) => r.shortage > 0).map((r) => r.licenseType)).toEqual(['HUCM_Standard']);
    // Catalog order: Enterprise UCM types first, HCS Emergency Responder last.
    expect(rows[0]!.licenseType).toBe('UCM_Basic');
    expect(rows.at(-1)!.licenseType).toBe('HCER_User');
  });

  it('usage trend across VAs: each VA’s last snapshot of a day, added up per day', async () => {
    const globex = await va(`${HCS}/va-globex`);
    const op = await va(`${HCS}/va-hcs-operational`);
    const point = (quantity: number, inUse: number) => [
      { licenseType: 'HUCM_Standard', quantity, inUse, available: quantity - inUse },
    ];
    // 20 November: globex twice (the later one counts), operational once. 21 November: globex only.
    await fx.repos.usageSnapshots.append(
      globex.id,
      point(150, 100),
      new Date('2026-11-20T08:00:00.000Z'),
    );
    await fx.repos.usageSnapshots.append(
      globex.id,
      point(150, 140),
      new Date('2026-11-20T20:00:00.000Z'),
    );
    await fx.repos.usageSnapshots.append(
      op.id,
      point(200, 30),
      new Date('2026-11-20T10:00:00.000Z'),
    );
    await fx.repos.usageSnapshots.append(
      globex.id,
      point(150, 160),
      new Date('2026-11-21T09:00:00.000Z'),
    );
    const series = await reports.usageTrendTotals(db());
    const std = series.find((s) => s.licenseType === 'HUCM_Standard')!;
    expect(std.label).toBe('HCS UCM Standard');
    expect(std.points.map((p) => [p.day, p.owned, p.inUse, p.virtualAccounts])).toEqual([
      ['2026-11-20', 350, 170, 2],
      ['2026-11-21', 150, 160, 1],
      // The sync of 28 November: the six VAs listing the type, mirrors once (owned as above;
      // in use 410 less the mirrors' 30 + 50).
      ['2026-11-28', 2490, 330, 6],
    ]);
    expect(std.points.at(-1)!.shortage).toBe(70);
    // A type with no older snapshot has one point, the sync's.
    expect(series.find((s) => s.licenseType === 'HUCM_Foundation')!.points).toHaveLength(1);
    // `from` / `to` bound the snapshot time.
    const window = await reports.usageTrendTotals(db(), {
      from: new Date('2026-11-21T00:00:00.000Z'),
      to: new Date('2026-11-22T00:00:00.000Z'),
    });
    expect(window.map((s) => [s.licenseType, s.points.map((p) => [p.day, p.inUse])])).toEqual([
      ['HUCM_Standard', [['2026-11-21', 160]]],
    ]);
  });
});
