// Real: SQLite (better-sqlite3) in a temp file under os.tmpdir(), and PostgreSQL when
// SMARTLIC_TEST_PG is set (test/support/pg.ts: a database of this file's own), kysely, the
// migrations, every repository, SecretBox. Faked: time (TestClock). Nothing of ours is mocked.
// Covers core/store (repositories, dialect.ts, migrations) on both stores.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import {
  MIGRATIONS,
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  transaction,
  verifySecretKey,
} from '../../core/store/index.ts';
import type { Repositories, StoreHandle } from '../../core/store/index.ts';
import { openTestStore, storeKinds } from '../support/pg.ts';

describe.each(storeKinds())('store on %s', (kind) => {
  let dir: string;
  let h: StoreHandle;
  let box: SecretBox;
  let clock: TestClock;
  let repos: Repositories;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smartlic-store-'));
    clock = new TestClock('2026-03-01T10:00:00Z');
    h = await openTestStore(kind, { path: join(dir, 'nested', 'smartlic.db'), clock });
    await migrateToLatest(h.db);
    box = SecretBox.random();
    repos = createRepositories(h.db, box, clock);
  });

  afterEach(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function seedVa(): Promise<{ saId: number; vaId: number }> {
    const sa = await repos.smartAccounts.upsert({ domain: 'acme.com', name: 'Acme' });
    const va = await repos.virtualAccounts.upsert(sa.id, { name: 'acme-ops', isDefault: true });
    return { saId: sa.id, vaId: va.id };
  }

  describe('openDatabase and migrations', () => {
    // SQLite's own settings: PostgreSQL has none of these pragmas.
    it.skipIf(kind !== 'sqlite')(
      'sets WAL, foreign keys and a busy timeout, and creates the parent directory',
      () => {
        if (h.kind !== 'sqlite') return;
        expect(h.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(h.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
        expect(h.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
      },
    );

    it('migrating twice is a no-op', async () => {
      expect(await migrateToLatest(h.db)).toEqual([]);
      const fresh = openDatabase({ path: ':memory:' });
      try {
        expect(await migrateToLatest(fresh.db)).toEqual(Object.keys(MIGRATIONS).sort());
        expect(await migrateToLatest(fresh.db)).toEqual([]);
      } finally {
        await fresh.close();
      }
    });

    it('enforces foreign keys', async () => {
      await expect(repos.virtualAccounts.upsert(999, { name: 'orphan' })).rejects.toThrow(
        /FOREIGN KEY|foreign key constraint/,
      );
      const { saId, vaId } = await seedVa();
      const customer = await repos.customers.upsert({ name: 'Tenant A' });
      const cl = await repos.clusters.upsert({
        customerId: customer.id,
        name: 'cucm1',
        type: 'CUCM',
        publisherAddress: '10.0.0.1',
      });
      await repos.clusters.assign(cl.id, vaId, 'Manually Registered');
      await repos.tokens.store({ virtualAccountId: vaId, token: 'tok-1' });
      // Deleting the SA cascades to VAs and their tokens; the cluster becomes unassigned.
      expect(await repos.smartAccounts.delete(saId)).toBe(true);
      expect(await repos.tokens.list()).toEqual([]);
      expect((await repos.clusters.getById(cl.id))?.virtualAccountId).toBeNull();
      // A customer with clusters cannot be deleted.
      await expect(repos.customers.delete(customer.id)).rejects.toThrow(
        /FOREIGN KEY|foreign key constraint/,
      );
    });

    it('enforces CHECK constraints on enumerations', async () => {
      await expect(
        // @ts-expect-error deliberately invalid type
        repos.smartAccounts.upsert({ domain: 'x.com', type: 'PERSONAL' }),
      ).rejects.toThrow(/CHECK|check constraint/);
    });
  });

  describe('repositories round-trip', () => {
    it('smart accounts: upsert by domain, secrets only through getCredentials, sync status', async () => {
      const created = await repos.smartAccounts.create({
        domain: 'acme.com',
        name: 'Acme',
        type: 'HOLDING',
        transportMode: 'Proxy',
        proxyHost: 'proxy.acme.com',
        proxyPort: 3128,
        proxyUsername: 'px',
        proxyPassword: 'proxy-pass',
        clientId: 'cid',
        clientSecret: 'csecret',
      });
      expect(created).toMatchObject({
        domain: 'acme.com',
        name: 'Acme',
        type: 'HOLDING',
        status: 'Active',
        source: 'cssm',
        transportMode: 'Proxy',
        proxyPort: 3128,
        hasClientSecret: true,
        hasProxyPassword: true,
        lastSyncAt: null,
      });
      expect(created.createdAt).toEqual(clock.now());
      expect(JSON.stringify(created)).not.toContain('csecret');

      clock.advance({ hours: 1 });
      const updated = await repos.smartAccounts.upsert({ domain: 'acme.com', name: 'Acme Corp' });
      expect(updated.id).toBe(created.id);
      expect(updated.name).toBe('Acme Corp');
      expect(updated.type).toBe('HOLDING'); // kept
      expect(updated.updatedAt).toEqual(clock.now());
      expect(await repos.smartAccounts.getCredentials(created.id)).toEqual({
        clientId: 'cid',
        clientSecret: 'csecret',
        proxyUsername: 'px',
        proxyPassword: 'proxy-pass',
      });
      await repos.smartAccounts.upsert({ domain: 'acme.com', proxyPassword: null });
      expect((await repos.smartAccounts.getCredentials(created.id))?.proxyPassword).toBeNull();

      await repos.smartAccounts.updateSyncStatus(created.id, {
        at: clock.now(),
        status: 'Failed',
        error: 'CSSM1011: authentication failed',
      });
      const got = await repos.smartAccounts.getByDomain('acme.com');
      expect(got?.lastSyncAt).toEqual(clock.now());
      expect(got?.lastSyncStatus).toBe('Failed');
      expect(got?.lastSyncError).toBe('CSSM1011: authentication failed');
      expect(await repos.smartAccounts.getById(created.id)).toEqual(got);

      await repos.smartAccounts.upsert({
        domain: 'sat-local',
        source: 'satellite',
        transportMode: 'Satellite',
        satelliteHost: 'sat.acme.com',
        satellitePort: 8443,
        satelliteTokenUrl: 'https://sat.acme.com:8443/backend/oauth/token',
        satelliteRegistrationUrl: 'https://sat.acme.com/SmartTransport',
        localAccountName: 'acme-local',
      });
      expect((await repos.smartAccounts.list()).map((a) => a.domain)).toEqual([
        'acme.com',
        'sat-local',
      ]);
      expect((await repos.smartAccounts.list({ source: 'satellite' }))[0]).toMatchObject({
        localAccountName: 'acme-local',
        satellitePort: 8443,
        hasClientSecret: false,
      });
    });

    it('local accounts: upsert by host and name, last CSSM sync', async () => {
      const la = await repos.localAccounts.upsert({ name: 'acme', satelliteHost: 'sat1' });
      expect(la).toMatchObject({ syncMode: 'connected', lastCssmSyncAt: null });
      await repos.localAccounts.upsert({
        name: 'acme',
        satelliteHost: 'sat1',
        syncMode: 'disconnected',
      });
      await repos.localAccounts.setLastCssmSync(la.id, clock.now());
      const [got] = await repos.localAccounts.list({ satelliteHost: 'sat1' });
      expect(got).toMatchObject({
        id: la.id,
        syncMode: 'disconnected',
        lastCssmSyncAt: clock.now(),
      });
    });

    it('virtual accounts: upsert, mode and role kept across upserts, delete missing', async () => {
      const { saId, vaId } = await seedVa();
      await repos.virtualAccounts.upsert(saId, {
        name: 'va-hcs-operational',
        commerceAccessLevel: 'FULL',
      });
      await repos.virtualAccounts.upsert(saId, { name: 'va-hcs-ordered' });
      const op = await repos.virtualAccounts.getByName(saId, 'va-hcs-operational');
      await repos.virtualAccounts.setLicenseMode(op!.id, 'HCS');
      await repos.virtualAccounts.setRole(op!.id, 'operational');
      await repos.virtualAccounts.upsert(saId, { name: 'va-hcs-operational', description: 'ops' });
      const again = await repos.virtualAccounts.getById(op!.id);
      expect(again).toMatchObject({
        licenseMode: 'HCS',
        role: 'operational',
        description: 'ops',
        commerceAccessLevel: 'FULL',
        isDefault: false,
      });
      expect((await repos.virtualAccounts.getOperational(saId))?.id).toBe(op!.id);
      expect((await repos.virtualAccounts.getById(vaId))?.isDefault).toBe(true);

      const deleted = await repos.virtualAccounts.deleteMissing(saId, [
        'acme-ops',
        'va-hcs-operational',
      ]);
      expect(deleted).toEqual(['va-hcs-ordered']);
      expect((await repos.virtualAccounts.listBySmartAccount(saId)).map((v) => v.name)).toEqual([
        'acme-ops',
        'va-hcs-operational',
      ]);
      expect(await repos.virtualAccounts.deleteMissing(saId, [])).toHaveLength(2);
      expect(await repos.virtualAccounts.listAll()).toEqual([]);
    });

    it('licenses: replace all licenses, details and substitutions of a VA', async () => {
      const { vaId } = await seedVa();
      await repos.licenses.replaceForVirtualAccount(
        vaId,
        [
          {
            licenseType: 'UCM_CUWL',
            displayName: 'UC Manager CUWL License (12.x)',
            quantity: 100,
            inUse: 60,
            available: 40,
            status: 'In Compliance',
            billingType: 'PREPAID',
            details: [
              {
                licenseType: 'TERM',
                quantity: 100,
                startDate: new Date('2025-05-20T00:00:00Z'),
                endDate: new Date('2028-05-19T00:00:00Z'),
                subscriptionId: 'Sub269233',
                status: 'ACTIVE',
              },
            ],
          },
          {
            licenseType: 'UCM_EnhancedPlus',
            displayName: 'UC Manager Enhanced Plus License (12.x)',
            quantity: 0,
            inUse: 50,
            available: 0,
            status: 'In Compliance',
            billingType: 'PREPAID',
            isPortable: true,
          },
        ],
        [
          {
            licenseName: 'UC Manager Enhanced Plus License (12.x)',
            substitutedLicense: 'UC Manager CUWL License (12.x)',
            quantity: 50,
            substitutionType: 'UPGRADE',
          },
        ],
      );
      let list = await repos.licenses.listByVirtualAccount(vaId);
      expect(list).toHaveLength(2);
      expect(list[0]).toMatchObject({
        licenseType: 'UCM_CUWL',
        available: 40,
        reserved: 0,
        pendingQuantity: 0,
        isPortable: false,
        details: [
          {
            licenseType: 'TERM',
            startDate: new Date('2025-05-20T00:00:00Z'),
            endDate: new Date('2028-05-19T00:00:00Z'),
            subscriptionId: 'Sub269233',
          },
        ],
      });
      expect(list[1]).toMatchObject({
        licenseType: 'UCM_EnhancedPlus',
        isPortable: true,
        details: [],
      });
      expect(await repos.licenses.listSubstitutions(vaId)).toEqual([
        {
          licenseName: 'UC Manager Enhanced Plus License (12.x)',
          substitutedLicense: 'UC Manager CUWL License (12.x)',
          quantity: 50,
          substitutionType: 'UPGRADE',
        },
      ]);

      await repos.licenses.replaceForVirtualAccount(vaId, [
        {
          licenseType: 'HUCM_Foundation',
          displayName: 'HCS UCM Foundation',
          quantity: 10,
          inUse: 0,
          available: 10,
          status: 'In Compliance',
          billingType: 'USAGE',
          details: [
            {
              licenseType: 'PERPETUAL',
              quantity: 10,
              startDate: null,
              endDate: null,
              subscriptionId: null,
              status: 'ACTIVE',
            },
          ],
        },
      ]);
      list = await repos.licenses.listByVirtualAccount(vaId);
      expect(list.map((l) => l.licenseType)).toEqual(['HUCM_Foundation']);
      expect(list[0]!.details[0]!.endDate).toBeNull();
      expect(await repos.licenses.listSubstitutions(vaId)).toEqual([]);
      const orphanDetails = await h.db.selectFrom('license_details').selectAll().execute();
      expect(orphanDetails).toHaveLength(1);
    });

    it('usage snapshots: append and read a series by VA, type and time range', async () => {
      const { vaId } = await seedVa();
      for (let day = 0; day < 3; day++) {
        await repos.usageSnapshots.append(vaId, [
          { licenseType: 'UCM_CUWL', quantity: 100, inUse: 50 + day, available: 50 - day },
          { licenseType: 'UCM_Basic', quantity: 10, inUse: 12, available: 0, shortage: 2 },
        ]);
        clock.advance({ days: 1 });
      }
      const all = await repos.usageSnapshots.series({
        virtualAccountId: vaId,
        licenseType: 'UCM_CUWL',
      });
      expect(all.map((s) => s.inUse)).toEqual([50, 51, 52]);
      const window = await repos.usageSnapshots.series({
        virtualAccountId: vaId,
        from: new Date('2026-03-02T10:00:00Z'),
        to: new Date('2026-03-03T10:00:00Z'),
      });
      expect(window).toEqual([
        {
          takenAt: new Date('2026-03-02T10:00:00Z'),
          virtualAccountId: vaId,
          smartAccountDomain: 'acme.com',
          virtualAccountName: 'acme-ops',
          licenseType: 'UCM_Basic',
          quantity: 10,
          inUse: 12,
          available: 0,
          shortage: 2,
        },
        {
          takenAt: new Date('2026-03-02T10:00:00Z'),
          virtualAccountId: vaId,
          smartAccountDomain: 'acme.com',
          virtualAccountName: 'acme-ops',
          licenseType: 'UCM_CUWL',
          quantity: 100,
          inUse: 51,
          available: 49,
          shortage: 0,
        },
      ]);
      expect(await repos.usageSnapshots.prune(new Date('2026-03-02T00:00:00Z'))).toBe(2);
    });

    it('customers and clusters: upsert, filters, assign/unassign, status fields, nodes, usage', async () => {
      const { saId, vaId } = await seedVa();
      const tenant = await repos.customers.upsert({ name: 'Tenant A', smartAccountId: saId });
      await repos.customers.upsert({ name: 'Tenant A', description: 'first tenant' });
      expect(await repos.customers.getByName('Tenant A')).toMatchObject({
        id: tenant.id,
        description: 'first tenant',
        smartAccountId: saId,
      });
      expect(await repos.customers.list({ smartAccountId: saId })).toHaveLength(1);

      const cucm = await repos.clusters.upsert({
        customerId: tenant.id,
        name: 'cucm1',
        type: 'CUCM',
        version: '15.0.1',
        publisherAddress: 'cucm1-pub.tenant-a.example',
        adminUsername: 'axladmin',
        adminPassword: 'axl-pass',
        transportMode: 'Proxy',
      });
      const cuc = await repos.clusters.upsert({
        customerId: tenant.id,
        name: 'cuc1',
        type: 'CUC',
        publisherAddress: '10.1.1.2',
        licensing: 'PLM',
        version: '11.5',
      });
      expect(cucm).toMatchObject({ licensing: 'Smart', status: null, hasAdminPassword: true });
      expect(await repos.clusters.getAdminCredentials(cucm.id)).toEqual({
        username: 'axladmin',
        password: 'axl-pass',
      });

      await repos.clusters.assign(cucm.id, vaId, 'Auto Registration Inprogress');
      expect((await repos.clusters.list({ virtualAccountId: vaId })).map((c) => c.name)).toEqual([
        'cucm1',
      ]);
      expect((await repos.clusters.list({ smartAccountId: saId })).map((c) => c.name)).toEqual([
        'cucm1',
      ]);
      expect((await repos.clusters.list({ unassigned: true })).map((c) => c.name)).toEqual([
        'cuc1',
      ]);
      expect((await repos.clusters.list({ type: 'CUC' })).map((c) => c.name)).toEqual(['cuc1']);
      expect(await repos.clusters.countByVirtualAccount(vaId)).toBe(1);

      const t = (s: string): Date => new Date(s);
      await repos.clusters.updateStatus(cucm.id, {
        status: 'Auto Registered',
        registrationStatus: 'Registered',
        registeredAt: t('2026-03-01T10:00:00Z'),
        lastRenewalAttempt: t('2026-03-01T10:00:00Z'),
        lastRenewalStatus: 'SUCCEEDED',
        nextRenewalAttempt: t('2026-08-28T10:00:00Z'),
        registrationExpires: t('2027-03-01T10:00:00Z'),
        registrationFailedReason: 'Successful.',
        productUdi: 'PID:UCM,SN:0efb8,UUID:0123456789abcdef0123456789abcdef',
        exportControl: 'ALLOWED',
        authorizationStatus: 'Authorized',
        lastCommunicationAttempt: t('2026-03-01T10:05:00Z'),
        lastCommunicationStatus: 'SUCCEEDED',
        nextCommunicationAttempt: t('2026-03-31T10:05:00Z'),
        authorizationExpires: t('2026-05-30T10:05:00Z'),
        authorizationFailedReason: 'Successful.',
        evaluationPeriodRemaining: 89,
        installedAt: t('2026-02-28T00:00:00Z'),
        lastAuthorizationSuccessAt: t('2026-03-01T10:05:00Z'),
        lastIdRenewalAt: t('2026-03-01T10:00:00Z'),
        outOfComplianceSince: null,
        lastStatusReadAt: t('2026-03-01T10:06:00Z'),
      });
      const reg = await repos.clusters.getById(cucm.id);
      expect(reg).toMatchObject({
        status: 'Auto Registered',
        registrationStatus: 'Registered',
        nextRenewalAttempt: t('2026-08-28T10:00:00Z'),
        authorizationExpires: t('2026-05-30T10:05:00Z'),
        evaluationPeriodRemaining: 89,
        outOfComplianceSince: null,
        version: '15.0.1',
        transportMode: 'Proxy',
      });
      // A partial patch keeps the other fields.
      await repos.clusters.updateStatus(cucm.id, { authorizationStatus: 'Out of compliance' });
      expect(await repos.clusters.getById(cucm.id)).toMatchObject({
        authorizationStatus: 'Out of compliance',
        registrationStatus: 'Registered',
      });
      // Upsert keeps assignment and status.
      await repos.clusters.upsert({
        customerId: tenant.id,
        name: 'cucm1',
        type: 'CUCM',
        publisherAddress: 'cucm1-pub.tenant-a.example',
        version: '15.0.2',
      });
      expect(await repos.clusters.getByName(tenant.id, 'cucm1')).toMatchObject({
        virtualAccountId: vaId,
        status: 'Auto Registered',
        version: '15.0.2',
        hasAdminPassword: true,
      });
      expect((await repos.clusters.list({ status: 'Auto Registered' })).map((c) => c.id)).toEqual([
        cucm.id,
      ]);

      await repos.clusters.replaceNodes(cucm.id, [
        { hostname: 'cucm1-sub1', address: '10.0.0.3', role: 'subscriber' },
        { hostname: 'cucm1-pub', address: '10.0.0.2', role: 'publisher' },
      ]);
      expect((await repos.clusters.listNodes(cucm.id)).map((n) => n.hostname)).toEqual([
        'cucm1-pub',
        'cucm1-sub1',
      ]);
      await repos.clusters.replaceLicenseUsage(cucm.id, [
        {
          licenseType: 'UCM_CUWL',
          tag: 'regid.2017-02.com.cisco.UCM_CUWL,12.0_x',
          count: 10,
          status: 'InCompliance',
        },
      ]);
      expect(await repos.clusters.listLicenseUsage(cucm.id)).toEqual([
        {
          licenseType: 'UCM_CUWL',
          tag: 'regid.2017-02.com.cisco.UCM_CUWL,12.0_x',
          count: 10,
          status: 'InCompliance',
          readAt: clock.now(),
        },
      ]);

      await repos.clusters.unassign(cucm.id, 'Deregistered');
      expect(await repos.clusters.getById(cucm.id)).toMatchObject({
        virtualAccountId: null,
        status: 'Deregistered',
      });
      expect(await repos.clusters.delete(cuc.id)).toBe(true);
      expect(await repos.clusters.list()).toHaveLength(1);
    });

    it('tokens: stored encrypted, deduped by hash, find valid, revoke, expire', async () => {
      const { vaId } = await seedVa();
      const old = await repos.tokens.store({
        virtualAccountId: vaId,
        token: 'TOKEN-OLD',
        description: 'old',
        expiresAt: new Date('2026-03-10T00:00:00Z'),
        createdBy: 'smartlic',
      });
      const fresh = await repos.tokens.store({
        virtualAccountId: vaId,
        token: 'TOKEN-FRESH',
        expiresAt: new Date('2027-03-01T00:00:00Z'),
        exportControlled: true,
      });
      const again = await repos.tokens.store({
        virtualAccountId: vaId,
        token: 'TOKEN-OLD',
        description: 'old (seen again)',
        expiresAt: new Date('2026-03-10T00:00:00Z'),
      });
      expect(again.id).toBe(old.id);
      expect(again.description).toBe('old (seen again)');
      expect(await repos.tokens.list({ virtualAccountId: vaId })).toHaveLength(2);
      expect(JSON.stringify(await repos.tokens.list())).not.toContain('TOKEN-');

      const found = await repos.tokens.findValid(vaId);
      expect(found?.value).toBe('TOKEN-FRESH');
      expect(found?.token).toMatchObject({
        id: fresh.id,
        exportControlled: true,
        status: 'Active',
      });
      expect((await repos.tokens.findValid(vaId, { exportControlled: false }))?.value).toBe(
        'TOKEN-OLD',
      );
      expect(
        await repos.tokens.findValid(vaId, {
          exportControlled: false,
          minRemainingMs: 30 * 86_400_000,
        }),
      ).toBeUndefined();
      expect((await repos.tokens.findByValue('TOKEN-OLD'))?.id).toBe(old.id);
      expect(await repos.tokens.reveal(old.id)).toBe('TOKEN-OLD');

      expect(await repos.tokens.markRevoked(fresh.id)).toBe(true);
      expect(await repos.tokens.markRevoked(fresh.id)).toBe(false);
      expect((await repos.tokens.findValid(vaId))?.value).toBe('TOKEN-OLD');
      clock.advance({ days: 10 });
      expect(await repos.tokens.markExpired()).toBe(1);
      expect(await repos.tokens.findValid(vaId)).toBeUndefined();
      expect((await repos.tokens.list({ status: 'Revoked' }))[0]?.revokedAt).toEqual(
        new Date('2026-03-01T10:00:00Z'),
      );
    });

    it('devices: upsert by UDI and replace per VA', async () => {
      const { vaId } = await seedVa();
      const d = await repos.devices.upsert(vaId, {
        instanceName: 'cucm1-pub',
        productTag: 'regid.2016-07.com.cisco.UCM,12.0',
        udiPid: 'UCM',
        udiSerial: '0efb8',
        lastContactAt: clock.now(),
      });
      const d2 = await repos.devices.upsert(vaId, {
        instanceName: 'cucm1-pub (renamed)',
        udiPid: 'UCM',
        udiSerial: '0efb8',
      });
      expect(d2.id).toBe(d.id);
      expect(d2.instanceName).toBe('cucm1-pub (renamed)');
      await repos.devices.replaceForVirtualAccount(vaId, [
        {
          instanceName: 'cuc1',
          udiPid: 'CUC',
          udiSerial: 'aa11',
          registrationStatus: 'Registered',
        },
        { instanceName: 'cer1', udiPid: 'CER', udiSerial: 'bb22' },
      ]);
      expect((await repos.devices.listByVirtualAccount(vaId)).map((x) => x.instanceName)).toEqual([
        'cer1',
        'cuc1',
      ]);
      expect((await repos.devices.findBySerial('aa11'))[0]?.registrationStatus).toBe('Registered');
    });

    it('jobs: create, start, complete, fail with code and action, list failed', async () => {
      const j1 = await repos.jobs.create({
        jobType: 'Sync',
        entityType: 'SmartAccount',
        entityName: 'acme.com',
        description: 'sync acme.com',
        requestedBy: 'slack:U123',
        correlationId: 'c-1',
      });
      expect(j1).toMatchObject({ status: 'Queued', initiatedAt: clock.now(), completedAt: null });
      clock.advance({ seconds: 5 });
      expect((await repos.jobs.start(j1.id)).status).toBe('InProgress');
      clock.advance({ seconds: 5 });
      const done = await repos.jobs.complete(j1.id, 'synced 3 VAs');
      expect(done).toMatchObject({
        status: 'Completed',
        statusInformation: 'synced 3 VAs',
        startedAt: new Date('2026-03-01T10:00:05Z'),
        completedAt: new Date('2026-03-01T10:00:10Z'),
      });

      const j2 = await repos.jobs.create({
        jobType: 'Register',
        entityType: 'Cluster',
        entityName: 'cucm1',
      });
      await repos.jobs.start(j2.id);
      const failed = await repos.jobs.fail(j2.id, {
        errorCode: 'CAA1048',
        statusInformation: 'registration token invalid or expired',
        recommendedAction: 'sync with CSSM (refreshes tokens)',
      });
      expect(failed).toMatchObject({ status: 'Failed', errorCode: 'CAA1048' });
      expect((await repos.jobs.listFailed()).map((j) => j.id)).toEqual([j2.id]);
      expect((await repos.jobs.list()).map((j) => j.id)).toEqual([j2.id, j1.id]);
      expect((await repos.jobs.list({ correlationId: 'c-1' }))[0]?.id).toBe(j1.id);
      expect(await repos.jobs.getById(j2.id)).toEqual(failed);
      await expect(repos.jobs.complete(999)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('subscriptions, chat users, audit log and settings', async () => {
      const s = await repos.subscriptions.subscribe({
        platform: 'slack',
        channelId: 'C1',
        filters: { severity: ['critical'] },
        createdBy: 'U1',
      });
      await repos.subscriptions.subscribe({
        platform: 'slack',
        channelId: 'C1',
        filters: { all: true },
      });
      await repos.subscriptions.subscribe({ platform: 'webex', channelId: 'R1' });
      expect(await repos.subscriptions.get('slack', 'C1')).toMatchObject({
        id: s.id,
        filters: { all: true },
        createdBy: 'U1',
      });
      expect(await repos.subscriptions.list('webex')).toHaveLength(1);
      expect(await repos.subscriptions.unsubscribe('webex', 'R1')).toBe(true);
      expect(await repos.subscriptions.list()).toHaveLength(1);

      const u = await repos.chatUsers.upsert({
        platform: 'slack',
        userId: 'U1',
        displayName: 'Ann',
      });
      expect(u.role).toBe('viewer');
      await repos.chatUsers.setRole('slack', 'U1', 'admin');
      expect(await repos.chatUsers.get('slack', 'U1')).toMatchObject({
        role: 'admin',
        displayName: 'Ann',
      });
      await expect(
        // @ts-expect-error deliberately invalid role
        repos.chatUsers.upsert({ platform: 'slack', userId: 'U2', role: 'root' }),
      ).rejects.toThrow(/CHECK|check constraint/);
      expect(await repos.chatUsers.list('slack')).toHaveLength(1);
      expect(await repos.chatUsers.remove('slack', 'U1')).toBe(true);

      const job = await repos.jobs.create({
        jobType: 'Token',
        entityType: 'VirtualAccount',
        entityName: 'acme-ops',
      });
      const e = await repos.audit.append({
        actor: 'slack:U1',
        action: 'token.create',
        entityType: 'VirtualAccount',
        entityId: 7,
        details: { clientSecret: 'never', nested: { token: 'never-either', days: 30 } },
        jobId: job.id,
      });
      expect(e).toMatchObject({
        entityId: '7',
        jobId: job.id,
        details: { clientSecret: '[redacted]', nested: { token: '[redacted]', days: 30 } },
      });
      clock.advance({ minutes: 1 });
      await repos.audit.append({ actor: 'console', action: 'sync' });
      expect((await repos.audit.list()).map((x) => x.action)).toEqual(['sync', 'token.create']);
      expect(await repos.audit.list({ entityId: '7' })).toHaveLength(1);

      await repos.settings.set('a', '1');
      await repos.settings.set('a', '2');
      await repos.settings.setJson('b', { x: [1] });
      expect(await repos.settings.get('a')).toBe('2');
      expect(await repos.settings.getJson('b')).toEqual({ x: [1] });
      expect(await repos.settings.all()).toEqual({ a: '2', b: '{"x":[1]}' });
      expect(await repos.settings.delete('a')).toBe(true);
      expect(await repos.settings.get('a')).toBeUndefined();
    });
  });

  describe('batch writes of a sync', () => {
    it('updateStatusMany and replaceLicenseUsageMany write what the one-by-one methods write', async () => {
      const { saId, vaId } = await seedVa();
      const tenant = await repos.customers.upsert({ name: 'Tenant A', smartAccountId: saId });
      const mk = async (name: string) => {
        const c = await repos.clusters.upsert({
          customerId: tenant.id,
          name,
          type: 'CUCM',
          publisherAddress: `${name}.example`,
          adminUsername: 'axl',
          adminPassword: `pw-${name}`,
        });
        await repos.clusters.assign(c.id, vaId);
        return c.id;
      };
      const [a1, a2, b1, b2] = [await mk('a1'), await mk('a2'), await mk('b1'), await mk('b2')];
      const at = new Date('2026-03-01T09:00:00Z');
      const patches = [
        // All columns given, some cleared; then one that keeps what it does not name.
        {
          registrationStatus: 'Registered' as const,
          lastRenewalAttempt: at,
          registrationFailedReason: null,
          evaluationPeriodRemaining: 12,
          licenseMode: 'HCS' as const,
          lastStatusReadAt: at,
        },
        { authorizationStatus: 'Authorized' as const, outOfComplianceSince: null },
      ];
      const usage = [
        [{ licenseType: 'CUCM_Enhanced', tag: 'regid.x', count: 3, status: 'InCompliance' }],
        [],
      ];
      for (const [i, id] of [a1, a2].entries()) {
        await repos.clusters.updateStatus(id, patches[i]!);
        await repos.clusters.replaceLicenseUsage(id, usage[i]!, at);
      }
      await transaction(
        h.db,
        box,
        async (r) => {
          await r.clusters.updateStatusMany([
            { id: b1, patch: patches[0]! },
            { id: b2, patch: patches[1]! },
          ]);
          await r.clusters.replaceLicenseUsageMany(
            [
              { clusterId: b1, usage: usage[0]! },
              { clusterId: b2, usage: usage[1]! },
            ],
            at,
          );
        },
        clock,
      );
      const strip = (c: Awaited<ReturnType<typeof repos.clusters.getById>>) => {
        const { id: _id, name: _name, publisherAddress: _p, ...rest } = c!;
        return rest;
      };
      expect(strip(await repos.clusters.getById(b1))).toEqual(
        strip(await repos.clusters.getById(a1)),
      );
      expect(strip(await repos.clusters.getById(b2))).toEqual(
        strip(await repos.clusters.getById(a2)),
      );
      expect(await repos.clusters.listLicenseUsage(b1)).toEqual(
        await repos.clusters.listLicenseUsage(a1),
      );
      expect(await repos.clusters.listLicenseUsage(b2)).toEqual([]);

      // Usage snapshots of several VAs at once read back as appended one VA at a time.
      const va2 = (await repos.virtualAccounts.upsert(saId, { name: 'acme-two' })).id;
      const pts = (n: number) => [
        { licenseType: 'UCM_CUWL', quantity: 100, inUse: n, available: 100 - n },
        { licenseType: 'UCM_Basic', quantity: 10, inUse: 12, available: 0, shortage: 2 },
      ];
      await repos.usageSnapshots.append(vaId, pts(1), at);
      await repos.usageSnapshots.appendMany(
        [
          { virtualAccountId: va2, points: pts(1) },
          { virtualAccountId: vaId, points: [] },
        ],
        at,
      );
      const series = async (id: number) =>
        (await repos.usageSnapshots.series({ virtualAccountId: id })).map(
          ({ virtualAccountId: _v, virtualAccountName: _n, ...rest }) => rest,
        );
      expect(await series(va2)).toEqual(await series(vaId));
      expect(await series(va2)).toHaveLength(2);

      // The per-account reads that replace per-cluster and per-VA ones.
      expect(await repos.clusters.listAdminCredentials(saId, new Set([a1, b2]))).toEqual(
        new Map([
          [a1, { username: 'axl', password: 'pw-a1' }],
          [b2, { username: 'axl', password: 'pw-b2' }],
        ]),
      );
      expect(await repos.clusters.countBySmartAccount()).toEqual(new Map([[saId, 4]]));
      expect(await repos.clusters.countByVirtualAccountOf(saId)).toEqual(new Map([[vaId, 4]]));
      expect(await repos.tokens.countActiveBySmartAccount(saId)).toBe(0);
      // a1 and b1 were read at 09:00; a2 and b2 never were.
      expect(await repos.clusters.countStatusDueBySmartAccount(clock.now(), 6 * 3_600_000)).toEqual(
        new Map([[saId, 2]]),
      );
      expect(await repos.clusters.countStatusDueBySmartAccount(clock.now(), 3_600_000)).toEqual(
        new Map([[saId, 4]]),
      );
    });

    // The statement cache is better-sqlite3's (core/store/database.ts).
    it.skipIf(kind !== 'sqlite')(
      'reuses prepared statements: a streamed select left early does not block the next run',
      async () => {
        const { saId } = await seedVa();
        await repos.virtualAccounts.upsert(saId, { name: 'second' });
        const q = h.db.selectFrom('virtual_accounts').select('name').orderBy('name');
        for await (const row of q.stream()) {
          expect(row.name).toBe('acme-ops');
          break;
        }
        expect((await q.execute()).map((r) => r.name)).toEqual(['acme-ops', 'second']);
        expect((await q.execute()).map((r) => r.name)).toEqual(['acme-ops', 'second']);
      },
    );
  });

  describe('transaction', () => {
    it('commits everything written inside it', async () => {
      const { vaId } = await seedVa();
      await transaction(
        h.db,
        box,
        async (r) => {
          await r.usageSnapshots.append(vaId, [
            { licenseType: 'UCM_CUWL', quantity: 1, inUse: 0, available: 1 },
          ]);
          await r.smartAccounts.updateSyncStatus(1, { at: clock.now(), status: 'Success' });
        },
        clock,
      );
      expect(await repos.usageSnapshots.series({ virtualAccountId: vaId })).toHaveLength(1);
    });

    it('a transaction that throws leaves previous data whole', async () => {
      const { saId, vaId } = await seedVa();
      const lic = {
        licenseType: 'UCM_CUWL',
        displayName: 'UC Manager CUWL License (12.x)',
        quantity: 100,
        inUse: 10,
        available: 90,
        status: 'In Compliance',
        billingType: 'PREPAID' as const,
      };
      await repos.licenses.replaceForVirtualAccount(vaId, [lic]);
      await repos.smartAccounts.updateSyncStatus(saId, { at: clock.now(), status: 'Success' });
      const before = await repos.smartAccounts.getById(saId);

      clock.advance({ days: 1 });
      await expect(
        transaction(
          h.db,
          box,
          async (r) => {
            await r.licenses.replaceForVirtualAccount(vaId, [{ ...lic, inUse: 99, available: 1 }]);
            await r.virtualAccounts.upsert(saId, { name: 'new-va' });
            await r.smartAccounts.updateSyncStatus(saId, { at: clock.now(), status: 'Success' });
            await r.usageSnapshots.append(vaId, [
              { licenseType: 'UCM_CUWL', quantity: 100, inUse: 99, available: 1 },
            ]);
            throw new Error('CSSM went away mid-sync');
          },
          clock,
        ),
      ).rejects.toThrow('CSSM went away mid-sync');

      expect((await repos.licenses.listByVirtualAccount(vaId))[0]).toMatchObject({
        inUse: 10,
        available: 90,
      });
      expect((await repos.virtualAccounts.listBySmartAccount(saId)).map((v) => v.name)).toEqual([
        'acme-ops',
      ]);
      expect(await repos.smartAccounts.getById(saId)).toEqual(before);
      expect(await repos.usageSnapshots.series({ virtualAccountId: vaId })).toEqual([]);
    });

    it('replaceForVirtualAccounts writes, in the order given, what one call per VA writes', async () => {
      const { saId, vaId } = await seedVa();
      const va2 = (await repos.virtualAccounts.upsert(saId, { name: 'acme-lab', isDefault: false }))
        .id;
      const other = (
        await repos.virtualAccounts.upsert(saId, { name: 'acme-dev', isDefault: false })
      ).id;
      const lic = (type: string, n: number, details = 0) => ({
        licenseType: type,
        displayName: `${type} display`,
        quantity: n,
        inUse: n - 1,
        available: 1,
        ...(n % 2 === 0 ? { reserved: 2, pendingQuantity: 3, isPortable: true } : {}),
        status: 'In Compliance',
        billingType: 'PREPAID' as const,
        details: Array.from({ length: details }, (_, i) => ({
          licenseType: 'TERM' as const,
          quantity: n + i,
          startDate: new Date('2026-01-01T00:00:00Z'),
          endDate: i === 0 ? null : new Date('2027-01-01T00:00:00Z'),
          subscriptionId: i === 0 ? null : `Sub-${n}`,
          status: 'ACTIVE',
        })),
      });
      const sub = (name: string) => ({
        licenseName: name,
        substitutedLicense: `${name}-old`,
        quantity: 4,
        substitutionType: null,
      });
      // Old rows: replaced for the VAs named, kept for the one not named.
      await repos.licenses.replaceForVirtualAccount(vaId, [lic('OLD', 1, 1)], [sub('OLD')]);
      await repos.licenses.replaceForVirtualAccount(other, [lic('KEEP', 1, 1)], [sub('KEEP')]);
      const entries = [
        {
          virtualAccountId: va2,
          licenses: [lic('B1', 2, 2), lic('B2', 3)],
          substitutions: [sub('B1')],
        },
        { virtualAccountId: vaId, licenses: [lic('A1', 4, 1)], substitutions: [] },
      ];
      await repos.licenses.replaceForVirtualAccounts(entries);
      const rows = await h.db.selectFrom('licenses').selectAll().orderBy('id').execute();
      expect(rows.map((r) => [r.virtual_account_id, r.license_type])).toEqual([
        [other, 'KEEP'],
        [va2, 'B1'],
        [va2, 'B2'],
        [vaId, 'A1'],
      ]);
      // Ids follow the order given, after every id used before (none reused).
      const ids = rows.map((r) => r.id);
      expect(ids[1]).toBeGreaterThan(ids[0]!);
      expect(ids[3]! - ids[1]!).toBe(2);
      expect(rows[1]).toMatchObject({
        quantity: 2,
        reserved: 2,
        pending_quantity: 3,
        is_portable: 1,
      });
      expect(rows[2]).toMatchObject({
        quantity: 3,
        reserved: 0,
        pending_quantity: 0,
        is_portable: 0,
      });
      const details = await h.db.selectFrom('license_details').selectAll().orderBy('id').execute();
      expect(details.map((d) => [d.license_id, d.quantity, d.end_date, d.subscription_id])).toEqual(
        [
          [ids[0], 1, null, null],
          [ids[1], 2, null, null],
          [ids[1], 3, '2027-01-01T00:00:00.000Z', 'Sub-2'],
          [ids[3], 4, null, null],
        ],
      );
      const subs = await h.db
        .selectFrom('license_substitutions')
        .selectAll()
        .orderBy('id')
        .execute();
      expect(subs.map((x) => [x.virtual_account_id, x.license_name, x.quantity])).toEqual([
        [other, 'KEEP', 4],
        [va2, 'B1', 4],
      ]);
      // Read back, each VA holds what one replaceForVirtualAccount of its own would have stored.
      for (const e of entries) {
        const back = await repos.licenses.listByVirtualAccount(e.virtualAccountId);
        expect(
          back.map(({ id: _i, virtualAccountId: _v, updatedAt, ...rest }) => {
            expect(updatedAt).toEqual(clock.now());
            return rest;
          }),
        ).toEqual(
          e.licenses.map((l) => ({ reserved: 0, pendingQuantity: 0, isPortable: false, ...l })),
        );
        expect(await repos.licenses.listSubstitutions(e.virtualAccountId)).toEqual(e.substitutions);
      }
    });

    it('a failing insert inside replaceForVirtualAccount rolls back its own delete', async () => {
      const { vaId } = await seedVa();
      const lic = {
        licenseType: 'UCM_CUWL',
        displayName: 'CUWL',
        quantity: 1,
        inUse: 0,
        available: 1,
        status: 'In Compliance',
        billingType: 'PREPAID' as const,
      };
      await repos.licenses.replaceForVirtualAccount(vaId, [lic]);
      // Two rows of the same type break unique(va, type) on the second insert.
      await expect(repos.licenses.replaceForVirtualAccount(vaId, [lic, lic])).rejects.toThrow(
        /UNIQUE|unique constraint/,
      );
      expect(await repos.licenses.listByVirtualAccount(vaId)).toHaveLength(1);
    });

    it('verifySecretKey records a check once and then accepts only the same key', async () => {
      expect(await verifySecretKey(h.db, box, clock)).toBe('recorded');
      expect(await verifySecretKey(h.db, box, clock)).toBe('ok');
      await expect(verifySecretKey(h.db, SecretBox.random(), clock)).rejects.toMatchObject({
        code: 'SECRET_KEY',
        action: 'set SMARTLIC_SECRET_KEY to the key the database was created with',
      });
    });
  });

  describe('migrations from parallel branches', () => {
    it('a database already at a later migration still gets an earlier one that arrives after', async () => {
      const { Migrator } = await import('kysely');
      const h2 = openDatabase({ path: ':memory:' });
      try {
        const names = Object.keys(MIGRATIONS).sort();
        // The two before the last arrived from parallel branches (as 0011 and 0012 did beside
        // 0013, whose view needs the columns of 0005: a real database at the last migration
        // always has the ones before the branches split).
        const skipped = names.slice(-3, -1);
        // Simulate a database migrated by a build that did not yet have the skipped ones.
        const partial = Object.fromEntries(
          Object.entries(MIGRATIONS).filter(([n]) => !skipped.includes(n)),
        );
        await new Migrator({
          db: h2.db,
          provider: { getMigrations: () => Promise.resolve(partial) },
        }).migrateToLatest();
        expect(await migrateToLatest(h2.db)).toEqual(skipped);
      } finally {
        await h2.close();
      }
    });
  });
});
