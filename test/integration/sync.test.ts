// Real: the emulator (demo scenario, frozen simulated clock) over loopback HTTP as CSSM cloud,
// CSSM On-Prem and the UC publishers; core/services (provision, sync, jobs, client factory),
// core/cssm and core/uc clients; SQLite in a temp file, and PostgreSQL when SMARTLIC_TEST_PG is
// set (test/support/pg.ts). Faked: the smartlic clock is a TestClock
// kept equal to the emulator's; clusters are put in the database through the repositories (as
// the cluster service would) rather than through its workflow.
import { afterEach, describe, expect, it } from 'vitest';
import { findLicenseType } from '../../core/domain/catalog.ts';
import {
  provisionCloud,
  provisionSatellite,
  seedClusters,
  setup,
  type Fixture,
} from './sync-fixture.ts';
import { storeKinds } from '../support/pg.ts';

describe.each(storeKinds())('sync on %s', (kind) => {
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  const typeOf = (license: string) => findLicenseType(license)?.id ?? license;

  describe('sync of a cloud Smart Account', () => {
    it('after provision + sync the database matches the emulator', async () => {
      fx = await setup({ store: kind });
      const p = await provisionCloud(fx);
      expect(await seedClusters(fx)).toBeGreaterThan(5);
      const o = await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
      expect(o.error).toBeUndefined();
      expect(o.status).toBe('Completed');
      expect(o.clusterErrors).toEqual([]);

      const st = await fx.state();
      const sa = st.smartAccounts.find((s) => s.domain === p.account.domain)!;
      const account = (await fx.repos.smartAccounts.getByDomain(sa.domain))!;
      expect(account.name).toBe(sa.name);
      expect(account.lastSyncStatus).toBe('Success');
      const vas = await fx.repos.virtualAccounts.listBySmartAccount(account.id);
      expect(vas.map((v) => v.name).sort()).toEqual(sa.virtualAccounts.map((v) => v.name).sort());
      for (const v of sa.virtualAccounts) {
        const row = vas.find((x) => x.name === v.name)!;
        expect(row.isDefault).toBe(v.isDefault);
        const lic = await fx.repos.licenses.listByVirtualAccount(row.id);
        expect(lic.length).toBe(v.licenses.length);
        for (const l of v.licenses) {
          const mine = lic.find((x) => x.licenseType === typeOf(l.license))!;
          expect({ q: mine.quantity, u: mine.inUse, a: mine.available }).toEqual({
            q: l.quantity,
            u: l.inUse,
            a: l.available,
          });
        }
        const tokens = await fx.repos.tokens.list({ virtualAccountId: row.id });
        expect(tokens.length).toBe(v.tokens.length);
        expect(tokens.filter((t) => t.status === 'Active').length).toBe(
          v.tokens.filter((t) => t.status === 'ACTIVE').length,
        );
        const snaps = await fx.repos.usageSnapshots.series({ virtualAccountId: row.id });
        expect(snaps.length).toBe(v.licenses.length);
      }
      // va-globex is short of HCS UCM Standard in the demo: the snapshot says by how much.
      const globex = vas.find((v) => v.name === 'va-globex')!;
      const short = (await fx.repos.usageSnapshots.series({ virtualAccountId: globex.id })).filter(
        (s) => s.shortage > 0,
      );
      expect(short.length).toBeGreaterThan(0);

      const clusters = await fx.repos.clusters.list({ smartAccountId: account.id });
      expect(clusters.length).toBe(o.counts.clusters);
      for (const c of clusters) {
        const e = st.clusters.find((x) => x.name === c.name)!;
        expect([c.name, c.registrationStatus, c.authorizationStatus]).toEqual([
          c.name,
          e.registration.status,
          e.authorization.status,
        ]);
        expect(c.lastStatusReadAt).not.toBeNull();
      }
      const acme = clusters.find((c) => c.name === 'acme-cucm-01')!;
      const usage = await fx.repos.clusters.listLicenseUsage(acme.id);
      expect(usage.find((u) => u.licenseType === 'UCM_Enhanced')?.count).toBe(320);
      const job = (await fx.repos.jobs.getById(o.jobId!))!;
      expect(job.status).toBe('Completed');
      expect(job.jobType).toBe('Sync');
    });

    it('an unchanged account re-syncs with a handful of requests and skips what did not change', async () => {
      fx = await setup({ store: kind });
      const p = await provisionCloud(fx);
      await seedClusters(fx);
      const full = await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
      const again = await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
      expect(again.status).toBe('Completed');
      expect(again.changed).toBe(false);
      expect(again.skipped).toContain('tokens');
      expect(again.skipped).toContain('devices');
      expect(again.counts.clustersRead).toBe(0);
      // VA list + one page of licenses; the OAuth token of the first sync is reused.
      expect(again.requests).toBeLessThanOrEqual(3);
      expect(again.requests).toBeLessThan(full.requests * 0.2);
      // Data untouched by the incremental sync: same counts.
      expect(again.counts.tokens).toBe(full.counts.tokens);
      expect(again.counts.devices).toBe(full.counts.devices);
      // --full reads everything again.
      const forced = await fx.services.sync.syncAccount(p.account.id, {
        requestedBy: 'test',
        full: true,
      });
      expect(forced.skipped).toEqual([]);
      expect(forced.counts.clustersRead).toBe(forced.counts.clusters);
    });

    it('two syncs of one account asked for at once run once', async () => {
      fx = await setup({ store: kind });
      const p = await provisionCloud(fx);
      const before = (await fx.repos.jobs.list({ entityName: p.account.domain })).length;
      const [a, b] = await Promise.all([
        fx.services.sync.syncAccount(p.account.id, { requestedBy: 'cli:a' }),
        fx.services.sync.syncAccount(p.account.domain, { requestedBy: 'scheduler' }),
      ]);
      expect(a.jobId).toBe(b.jobId);
      expect([a.joined, b.joined].sort()).toEqual([false, true]);
      const jobs = await fx.repos.jobs.list({ entityName: p.account.domain });
      expect(jobs.length - before).toBe(1);
    });

    it('a cluster cut off for 91 days ends up Authorization Expired after sync', async () => {
      fx = await setup({ store: kind });
      const p = await provisionCloud(fx);
      await seedClusters(fx);
      await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
      const name = 'hooli-cucm-01'; // cut off in the demo
      const id = (await fx.repos.clusters.list()).find((c) => c.name === name)!.id;
      expect((await fx.repos.clusters.getById(id))!.authorizationStatus).toBe('Authorized');
      await fx.advanceDays(91);
      const o = await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
      expect(o.status).toBe('Completed');
      const c = (await fx.repos.clusters.getById(id))!;
      expect(c.authorizationStatus).toBe('Authorization Expired');
      const st = await fx.state();
      expect(st.clusters.find((x) => x.name === name)!.authorization.status).toBe(
        'Authorization Expired',
      );
      // A cluster that kept talking to CSSM is still authorized.
      const ok = (await fx.repos.clusters.list()).find((x) => x.name === 'acme-cucm-01')!;
      expect(ok.authorizationStatus).toBe('Authorized');
    });

    it('refreshes a token about to expire: a new one is made in CSSM and stored encrypted', async () => {
      fx = await setup({ store: kind });
      const p = await provisionCloud(fx);
      await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
      // A VA whose only token expires in 10 days (inside tokenRefreshDays = 30).
      const c = fx.cloud();
      const handle = fx.services.clients.cssm(
        {
          flavor: 'cloud',
          tokenUrl: fx.emu.ready.cloud.tokenUrl,
          apiBase: fx.emu.ready.cloud.apiBase,
          clientId: c.clientId,
          clientSecret: c.clientSecret,
          transport: { mode: 'direct' },
        },
        c.account,
      );
      const short = await handle.client.createToken(c.account, 'va-hcs-ordered', {
        description: 'short-lived',
        expiresAfterDays: 10,
        exportControlled: 'Not Allowed',
      });
      const o = await fx.services.sync.syncAccount(p.account.id, {
        requestedBy: 'test',
        full: true,
      });
      expect(o.status).toBe('Completed');
      expect(o.counts.tokensRefreshed).toBe(1);
      const va = (await fx.repos.virtualAccounts.getByName(p.account.id, 'va-hcs-ordered'))!;
      const valid = await fx.repos.tokens.findValid(va.id, { minRemainingMs: 300 * 86_400_000 });
      expect(valid).toBeDefined();
      expect(valid!.value).not.toBe(short.token);
      const raw = await fx.h.db
        .selectFrom('registration_tokens')
        .select('token_enc')
        .where('id', '=', valid!.token.id)
        .executeTakeFirstOrThrow();
      expect(raw.token_enc.startsWith('v1:')).toBe(true);
      expect(raw.token_enc).not.toContain(valid!.value.slice(0, 12));
      const st = await fx.state();
      const inCssm = st.smartAccounts
        .find((s) => s.domain === c.account)!
        .virtualAccounts.find((v) => v.name === 'va-hcs-ordered')!.tokens;
      expect(inCssm.map((t) => t.token)).toContain(valid!.value);
      // The next sync sees a lasting token and makes no other.
      const again = await fx.services.sync.syncAccount(p.account.id, {
        requestedBy: 'test',
        full: true,
      });
      expect(again.counts.tokensRefreshed).toBe(0);
    });
  });

  describe('sync of a satellite local account', () => {
    it('syncs a disconnected satellite through the On-Prem API and flags it overdue after 30 days', async () => {
      fx = await setup({ store: kind });
      const p = await provisionSatellite(fx, 'la-initech');
      expect(await seedClusters(fx)).toBeGreaterThan(0);
      const o = await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
      expect(o.error).toBeUndefined();
      expect(o.status).toBe('Completed');
      expect(o.satellite?.syncMode).toBe('disconnected');
      expect(o.satellite?.overdue).toBe(false);
      const st = await fx.state();
      const la = st.satellites
        .flatMap((s) => s.localAccounts)
        .find((l) => l.name === 'la-initech')!;
      const va = (await fx.repos.virtualAccounts.getByName(p.account.id, la.virtualAccount))!;
      const lic = await fx.repos.licenses.listByVirtualAccount(va.id);
      expect(lic.length).toBe(la.licenses.length);
      for (const l of la.licenses) {
        const mine = lic.find((x) => x.licenseType === typeOf(l.license))!;
        expect([mine.quantity, mine.inUse]).toEqual([l.quantity, l.inUse]);
      }
      expect((await fx.repos.tokens.list({ virtualAccountId: va.id })).length).toBe(
        la.tokens.length,
      );
      expect(o.counts.clustersRead).toBe(o.counts.clusters);
      const local = await fx.repos.localAccounts.getBySmartAccount(p.account.id);
      expect(local?.syncMode).toBe('disconnected');
      expect(local?.lastCssmSyncAt).not.toBeNull();

      await fx.advanceDays(5); // 27 + 5 days since the satellite's last CSSM sync
      const late = await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
      expect(late.status).toBe('Completed');
      expect(late.satellite?.overdue).toBe(true);
      const job = (await fx.repos.jobs.getById(late.jobId!))!;
      expect(job.statusInformation).toMatch(/satellite sync overdue/);
    });

    it('an incremental sync skips the satellite status read only while the flag cannot change', async () => {
      // Deep reads far apart, so every sync below after the first is incremental.
      fx = await setup({ store: kind, sync: { deepReadMaxAgeMs: 60 * 86_400_000 } });
      const p = await provisionSatellite(fx, 'la-initech');
      const first = await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
      expect(first.skipped).not.toContain('satellite status');
      const again = await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
      // 27 days since the satellite's last CSSM sync: not overdue, whatever happened since.
      expect(again.skipped).toContain('satellite status');
      expect(again.satellite?.overdue).toBe(false);
      expect(again.satellite?.lastSync?.getTime()).toBe(first.satellite?.lastSync?.getTime());

      await fx.advanceDays(5); // 32 days: overdue unless the satellite synced, so ask it
      const late = await fx.services.sync.syncAccount(p.account.id, { requestedBy: 'test' });
      expect(late.skipped).not.toContain('satellite status');
      expect(late.satellite?.overdue).toBe(true);
    });
  });
});
