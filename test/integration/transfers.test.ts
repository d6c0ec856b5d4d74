// License transfers and product-instance removal over the real emulator (issue 25).
// Real: the emulator (demo scenario, frozen clock) on loopback HTTP with its request journal
// as the request log, a temp SQLite file with the real migrations (and, when SMARTLIC_TEST_PG is
// set, the same suite on a PostgreSQL database of test/support/pg.ts), the real services (sync,
// jobs, audit, alerts, the CSSM client with OAuth). Faked: nothing; the one CSSM refusal of a
// later chunk is the emulator's deterministic fault (`failRequests`), since CSSM's own reasons
// for refusing a chunk mid-way (a concurrent change) cannot be timed from a test.
// Covers: core/services/transfers.service.ts, core/services/product-instances.service.ts,
// core/domain/transfers.ts (through the service), emulator/model/cssm-accounts.ts transfer,
// emulator/http/faults.ts failRequests.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../emulator/index.ts';
import { JobFailedError } from '../../core/services/jobs.service.ts';
import { SmartlicError } from '../../core/errors.ts';
import {
  provisionCloud,
  provisionSatellite,
  seedClusters,
  setup,
  type Fixture,
} from './sync-fixture.ts';
import { storeKinds } from '../support/pg.ts';

const HCS = 'nimbus-hcs.example.com';
const EU = 'nimbus-eu.example.com';
describe.each(storeKinds())('transfers and removal on %s', (kind) => {
  let fx: Fixture;
  const journal: JournalEntry[] = [];
  const transfers = () => journal.filter((e) => e.url.includes('/licenses/transfer'));

  async function owned(va: string, license: string): Promise<{ db: number; cssm: number }> {
    const sa = (await fx.repos.smartAccounts.getByDomain(HCS))!;
    const row = (await fx.repos.virtualAccounts.getByName(sa.id, va))!;
    const l = (await fx.repos.licenses.listByVirtualAccount(row.id)).find(
      (x) => x.displayName === license,
    );
    const st = await fx.state();
    const e = st.smartAccounts
      .find((s) => s.domain === HCS)!
      .virtualAccounts.find((v) => v.name === va)!
      .licenses.find((x) => x.license === license);
    return { db: l?.quantity ?? 0, cssm: e?.quantity ?? 0 };
  }

  beforeAll(async () => {
    fx = await setup({ store: kind, emulator: { journal: (e) => journal.push(e) } });
    await provisionCloud(fx, 0, true);
    await provisionCloud(fx, 1, true);
    await provisionSatellite(fx, 'la-initech', true);
    // The clusters' reported usage is what the what-if allocates.
    await seedClusters(fx);
    await fx.services.sync.syncAll({ requestedBy: 'test', full: true });
  }, 60_000);
  afterAll(() => fx.close());
  afterEach(async () => {
    await fx.faults(null);
  });

  describe('license transfer', () => {
    it('moves licenses within a smart account, as one job, and the re-read shows them at once', async () => {
      const before = journal.length;
      const shortBefore = (await fx.repos.alerts.list({ state: 'open' })).filter(
        (a) => /shortage/.test(a.rule) && a.entity.name.includes('va-globex'),
      );
      const plan = await fx.services.transfers.plan({
        domain: HCS,
        fromVa: 'va-hcs-ordered',
        toVa: 'va-globex',
        license: 'HCS UCM Standard',
        quantity: '70',
      });
      expect(plan).toMatchObject({ licenseType: 'TERM', quantity: 70, chunks: [70] });
      expect(plan.available).toBe(1500);
      const target = plan.allocation.find((c) => c.va.label === `${HCS}/va-globex`)!;
      expect(target.resolvedShortages).toEqual([{ type: 'HUCM_Standard', quantity: 70 }]);
      expect(journal.length, 'a plan sends nothing').toBe(before);

      const r = await fx.services.transfers.transfer({
        domain: HCS,
        fromVa: 'va-hcs-ordered',
        toVa: 'va-globex',
        license: 'HUCM_Standard',
        quantity: 70,
        requestedBy: 'test',
      });
      expect(r.moved).toBe(70);
      expect(r.chunks).toEqual([{ index: 1, quantity: 70, status: 'SUCCESS' }]);
      expect(r.resync.status).toBe('Completed');
      expect(r.target).toEqual({ before: 150, after: 220 });
      expect(r.job).toMatchObject({ jobType: 'Transfer Licenses', status: 'Completed' });
      expect(r.job.statusInformation).toMatch(/Transferred 70 TERM HCS UCM Standard/);
      expect(await owned('va-globex', 'HCS UCM Standard')).toEqual({ db: 220, cssm: 220 });
      expect(await owned('va-hcs-ordered', 'HCS UCM Standard')).toEqual({ db: 1430, cssm: 1430 });
      const audit = await fx.repos.audit.list({ entityId: `${HCS}/va-hcs-ordered` });
      expect(audit.filter((a) => a.jobId === r.job.id).map((a) => a.action)).toContain(
        'Transfer Licenses',
      );
      // The shortage the transfer covers is resolved by the re-read's alert evaluation.
      if (shortBefore.length > 0) {
        const still = (await fx.repos.alerts.list({ state: 'open' })).filter((a) =>
          shortBefore.some((b) => b.id === a.id),
        );
        expect(still).toEqual([]);
      }
    });

    it('sends more than 998 in chunks of at most 998, as Cisco does', async () => {
      const before = transfers().length;
      const r = await fx.services.transfers.transfer({
        domain: HCS,
        fromVa: 'va-hcs-ordered',
        toVa: 'va-hcs-operational',
        license: 'HCS UCM Foundation',
        quantity: 1500,
        requestedBy: 'test',
      });
      expect(r.chunks.map((c) => [c.quantity, c.status])).toEqual([
        [998, 'SUCCESS'],
        [502, 'SUCCESS'],
      ]);
      const sent = transfers().slice(before);
      expect(sent.map((e) => JSON.parse(e.body).licenses[0].quantity)).toEqual([998, 502]);
      expect(await owned('va-hcs-operational', 'HCS UCM Foundation')).toEqual({
        db: 2300,
        cssm: 2300,
      });
    });

    it('a transfer CSSM accepts only in part says exactly what moved', async () => {
      await fx.faults({
        failRequests: [
          {
            path: '/licenses/transfer',
            after: 1,
            status: 400,
            message: 'Insufficient licenses available for the transfer.',
          },
        ],
      });
      const err = await fx.services.transfers
        .transfer({
          domain: HCS,
          fromVa: 'va-hcs-ordered',
          toVa: 'va-hcs-operational',
          license: 'HCS Unity Connection Basic',
          quantity: 1500,
          requestedBy: 'test',
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobFailedError);
      const e = (err as JobFailedError).error;
      expect(e.code).toBe('CSSM1020');
      expect(e.message).toMatch(/^Only 998 of 1500 moved: CSSM refused request 2 of 2 \(502/);
      expect(e.message).toMatch(/Insufficient licenses available/);
      expect(e.action).toMatch(/998 are in nimbus-hcs.example.com\/va-hcs-operational now/);
      expect(e.message).toMatch(
        /The re-read shows 1498 owned in .*va-hcs-operational \(500 before\)/,
      );
      expect(e.details?.target).toEqual({ before: 500, after: 1498 });
      expect(e.details?.chunks).toEqual([
        { index: 1, quantity: 998, status: 'SUCCESS' },
        expect.objectContaining({ index: 2, quantity: 502, status: 'ERROR', code: 'CSSM1020' }),
      ]);
      expect((err as JobFailedError).job).toMatchObject({
        status: 'Failed',
        errorCode: 'CSSM1020',
      });
      // What moved is what the emulator holds and what the re-read stored.
      expect(await owned('va-hcs-operational', 'HCS Unity Connection Basic')).toEqual({
        db: 1498,
        cssm: 1498,
      });
      expect(await owned('va-hcs-ordered', 'HCS Unity Connection Basic')).toEqual({
        db: 1002,
        cssm: 1002,
      });
    });

    const refusals: [string, Record<string, unknown>, string, RegExp][] = [
      ['zero', { quantity: '0' }, 'TRANSFER_QUANTITY', /positive whole number, not "0"/],
      ['a fraction', { quantity: '1.5' }, 'TRANSFER_QUANTITY', /not "1.5"/],
      ['a word', { quantity: 'ten' }, 'TRANSFER_QUANTITY', /not "ten"/],
      ['a negative number', { quantity: -3 }, 'TRANSFER_QUANTITY', /not "-3"/],
      [
        'more than available (owned minus in use)',
        { fromVa: 'va-hcs-operational', license: 'HCS Emergency Responder', quantity: 231 },
        'TRANSFER_EXCEEDS_AVAILABLE',
        /has 230 TERM HCS Emergency Responder available .*fewer than the 231 asked/,
      ],
      [
        'a VA of another smart account',
        { toDomain: EU, toVa: 'va-initech' },
        'TRANSFER_OTHER_ACCOUNT',
        /different smart accounts/,
      ],
      ['an unknown source VA', { fromVa: 'va-nope' }, 'NOT_FOUND', /va-nope/],
      ['an unknown target VA', { toVa: 'va-nope' }, 'NOT_FOUND', /va-nope/],
      [
        'an unknown license',
        { license: 'UC Manager Flux Capacitor' },
        'TRANSFER_UNKNOWN_LICENSE',
        /holds no license "UC Manager Flux Capacitor"/,
      ],
      [
        'no --type when the source holds both',
        { fromVa: 'va-acme', license: 'UC Manager Enhanced License (12.x)' },
        'TRANSFER_TYPE',
        /holds UC Manager Enhanced License \(12.x\) as (PERPETUAL \(300\) and TERM \(100\)|TERM \(100\) and PERPETUAL \(300\))/,
      ],
      [
        'more than owned of the type asked, though other types are available',
        { fromVa: 'va-acme', license: 'UCM_Basic', licenseType: 'TERM', quantity: 1 },
        'TRANSFER_EXCEEDS_AVAILABLE',
        /va-acme has 0 TERM .*Basic.* available/,
      ],
      ['the same VA twice', { toVa: 'va-hcs-ordered' }, 'TRANSFER_SAME_VA', /both the source/],
      ['a type CSSM cannot move', { licenseType: 'DEMO' }, 'TRANSFER_TYPE', /TERM or PERPETUAL/],
    ];

    it.each(refusals)('refuses %s before anything is sent', async (_, patch, code, message) => {
      const before = transfers().length;
      const jobsBefore = (await fx.repos.jobs.list({})).length;
      const input = {
        domain: HCS,
        fromVa: 'va-hcs-ordered',
        toVa: 'va-globex',
        license: 'HCS UCM Standard',
        quantity: 5 as number | string,
        requestedBy: 'test',
        ...patch,
      };
      const err = await fx.services.transfers.transfer(input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SmartlicError);
      expect((err as SmartlicError).code).toBe(code);
      expect((err as SmartlicError).message).toMatch(message);
      expect((err as SmartlicError).action).toBeTruthy();
      if (code === 'TRANSFER_UNKNOWN_LICENSE')
        expect((err as SmartlicError).action).toContain('"HCS UCM Standard"');
      expect(transfers().length, 'no transfer request reached the emulator').toBe(before);
      expect((await fx.repos.jobs.list({})).length, 'no job was started').toBe(jobsBefore);
    });

    it('says for a satellite account that Cisco documents no transfer call, and sends nothing', async () => {
      const sa = (await fx.repos.smartAccounts.list()).find((a) => a.source === 'satellite')!;
      const vas = await fx.repos.virtualAccounts.listBySmartAccount(sa.id);
      expect(vas.length).toBeGreaterThan(0);
      const before = journal.length;
      const err = await fx.services.transfers
        .transfer({
          domain: sa.domain,
          fromVa: vas[0]!.name,
          toVa: 'anything',
          license: 'HCS UCM Foundation',
          quantity: 1,
          requestedBy: 'test',
        })
        .catch((e: unknown) => e);
      expect((err as SmartlicError).code).toBe('TRANSFER_SATELLITE');
      expect((err as SmartlicError).message).toMatch(/Cisco documents no API call/);
      expect(journal.length).toBe(before);
      // Nor does the emulator's satellite serve one: the path is unknown there.
      const c = fx.onprem('la-initech');
      const tok = (await (
        await fetch(fx.emu.ready.onprem.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            client_id: c.clientId,
            client_secret: c.clientSecret,
            grant_type: 'client_credentials',
          }),
        })
      ).json()) as { access_token: string };
      const r = await fetch(
        `${fx.emu.ready.onprem.apiBase}/accounts/la-initech/virtual-accounts/${encodeURIComponent(vas[0]!.name)}/licenses/transfer`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${tok.access_token}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ licenses: [] }),
        },
      );
      expect(r.status).toBe(404);
    });

    it('the emulator, as CSSM, refuses a VA of another smart account and more than available, moving nothing', async () => {
      const c = fx.cloud(0);
      const tok = (await (
        await fetch(fx.emu.ready.cloud.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=client_credentials&client_id=${c.clientId}&client_secret=${c.clientSecret}`,
        })
      ).json()) as { access_token: string };
      const post = async (body: unknown) => {
        const r = await fetch(
          `${fx.emu.ready.cloud.apiBase}/v1/accounts/${HCS}/virtual-accounts/va-acme/licenses/transfer`,
          {
            method: 'POST',
            headers: {
              authorization: `Bearer ${tok.access_token}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify(body),
          },
        );
        return {
          status: r.status,
          body: (await r.json()) as { status: string; statusMessage: string },
        };
      };
      const line = (o: Record<string, unknown>) => ({
        licenses: [
          {
            license: 'UC Manager Basic License (12.x)',
            licenseType: 'PERPETUAL',
            quantity: 5,
            targetVirtualAccount: 'va-globex',
            ...o,
          },
        ],
      });
      const other = await post(line({ targetVirtualAccount: 'va-initech' }));
      expect(other.status).toBe(404);
      expect(other.body).toMatchObject({ status: 'ERROR' });
      expect(other.body.statusMessage).toMatch(/not in Smart Account nimbus-hcs.example.com/);
      const tooMany = await post(line({ quantity: 21 }));
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.statusMessage).toMatch(/requested 21, available 20/);
      const badType = await post(line({ licenseType: 'DEMO' }));
      expect(badType.status).toBe(400);
      expect(badType.body.statusMessage).toMatch(/Invalid licenseType DEMO/);
      // All or nothing: a request with one bad line moves none of its good ones.
      const mixed = await post({
        licenses: [line({}).licenses[0], line({ quantity: 999 }).licenses[0]],
      });
      expect(mixed.status).toBe(400);
      const st = await fx.state();
      const basic = st.smartAccounts
        .find((s) => s.domain === HCS)!
        .virtualAccounts.find((v) => v.name === 'va-acme')!
        .licenses.find((l) => l.license === 'UC Manager Basic License (12.x)')!;
      expect(basic.quantity).toBe(100);
    });
  });

  describe('product instance removal', () => {
    it('removes a registered instance from CSSM by name, and refuses an unknown one before sending', async () => {
      const sa = (await fx.repos.smartAccounts.getByDomain(HCS))!;
      let target: { va: string; name: string; serial: string } | undefined;
      for (const va of await fx.repos.virtualAccounts.listBySmartAccount(sa.id)) {
        const d = (await fx.repos.devices.listByVirtualAccount(va.id))[0];
        if (d) {
          target = { va: va.name, name: d.instanceName, serial: d.udiSerial };
          break;
        }
      }
      expect(target, 'the demo registers product instances').toBeDefined();
      const before = journal.length;
      const unknown = await fx.services.productInstances
        .remove({ domain: HCS, va: target!.va, instance: 'no-such-node', requestedBy: 'test' })
        .catch((e: unknown) => e);
      expect((unknown as SmartlicError).code).toBe('NOT_FOUND');
      expect(journal.length).toBe(before);

      const r = await fx.services.productInstances.remove({
        domain: HCS,
        va: target!.va,
        instance: target!.name,
        requestedBy: 'test',
      });
      expect(r.job).toMatchObject({ jobType: 'Remove Product Instance', status: 'Completed' });
      expect(r.resync.status).toBe('Completed');
      const removes = journal.slice(before).filter((e) => e.url.endsWith('/devices/remove'));
      expect(removes).toHaveLength(1);
      expect(removes[0]!.body).toContain(target!.serial);
      const va = (await fx.repos.virtualAccounts.getByName(sa.id, target!.va))!;
      const left = await fx.repos.devices.listByVirtualAccount(va.id);
      expect(left.some((d) => d.udiSerial === target!.serial)).toBe(false);
    });
  });
});
