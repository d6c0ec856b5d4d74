// Real: the emulator (demo scenario, frozen clock) over loopback as CSSM On-Prem and cloud,
// provision and sync services, the alert state read from SQLite in a temp file, the alert rules.
// Faked: the smartlic clock (a TestClock), and the capacity threshold, set low in the config
// (alerts.localAccountInstancesWarn) so the demo's local account is near its limit. Covers the
// local-account-capacity rule end to end (core/services/alert-state.ts → alert-rules.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionCloud, provisionSatellite, setup, type Fixture } from './sync-fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await setup({ config: { alerts: { localAccountInstancesWarn: 2 } } });
}, 60_000);
afterAll(async () => fx?.close());

describe('a local account nearing the 10,000 product instances of a satellite', () => {
  it('opens a warning with the count the sync stored; a cloud account has none', async () => {
    const sat = await provisionSatellite(fx, 'la-initech', true);
    expect(sat.sync?.status).toBe('Completed');
    await provisionCloud(fx, 0, true);
    const n = Number(
      (
        await fx.h.db
          .selectFrom('devices as d')
          .innerJoin('virtual_accounts as v', 'v.id', 'd.virtual_account_id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('v.smart_account_id', '=', sat.account.id)
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(n).toBeGreaterThanOrEqual(2);
    const alerts = await fx.services.alerts.list({ rule: 'local-account-capacity' });
    expect(alerts.map((a) => [a.entity.name, a.severity])).toEqual([['la-initech', 'warning']]);
    expect(alerts[0]!.title).toContain(`holds ${n} product instances, ${10000 - n} below`);
  });
});
