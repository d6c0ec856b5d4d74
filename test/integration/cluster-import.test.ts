// Bulk cluster import (issue 23): 2,500 clusters (more than one multi-row chunk) in one job and
// one transaction, a re-import that changes nothing, an update that keeps what the operator set,
// a bad file that writes nothing, and the account leases of the accounts gaining clusters.
// Real: SQLite in a temp file and PostgreSQL at SMARTLIC_TEST_PG (skipped without it, and the
// file says so), the migrations, the repositories (ClusterImportRepository's multi-row SQL on
// both dialects), SecretBox encryption, the JobRunner with its audit, AccountLeases and
// ClustersService.import from createServices. Faked: the clock (TestClock); the accounts and VAs
// are stored with the repositories, as a sync would store them from CSSM (no CSSM is called).
// Covers core/services/clusters/bulk-import.ts, core/store/repositories/cluster-import.repository.ts
// and AccountLeases.holdMany of core/services/account-lease.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { loadConfig } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import type { ClusterImportRow } from '../../core/services/clusters/bulk-import.ts';
import { JobFailedError } from '../../core/services/jobs.service.ts';
import { createServices, type Services } from '../../core/services/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  type Repositories,
  type StoreHandle,
} from '../../core/store/index.ts';
import { openTestStore, storeKinds } from '../support/pg.ts';

const dir = mkdtempSync(join(tmpdir(), 'smartlic-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = createLogger({ level: 'silent' });

const N = 2_500;
const NIMBUS = 'nimbus.example.com';
const ACME = 'acme.example.com';

/** Cluster i: customer i/10, every third unassigned, the rest split over two accounts' VAs. */
function rows(n = N): ClusterImportRow[] {
  return Array.from({ length: n }, (_, i) => ({
    line: i + 2,
    customer: `Customer ${String(Math.floor(i / 10)).padStart(4, '0')}`,
    name: `cl-${i}`,
    type: (['CUCM', 'CUC', 'CER'] as const)[i % 3]!,
    version: '14.0.1.13900-155',
    publisherAddress: `https://cl-${i}.example:8443`,
    adminUsername: 'axladmin',
    adminPassword: `pw-${i}-secret`,
    ...(i % 3 === 2 ? {} : { va: i % 2 === 0 ? `${NIMBUS}/va-op` : `${ACME}/va-ent` }),
    ...(i % 5 === 0 ? { publisherHostname: `cl-${i}-pub.example` } : {}),
  }));
}

describe.each(storeKinds())('cluster import (%s)', (kind) => {
  const clock = new TestClock('2026-12-08T02:00:00Z');
  let h: StoreHandle;
  let repos: Repositories;
  let services: Services;
  let secrets: SecretBox;

  beforeEach(async () => {
    h = await openTestStore(kind, { path: join(dir, `import-${Date.now()}.db`), clock });
    await migrateToLatest(h.db);
    secrets = new SecretBox(Buffer.alloc(32, 7));
    repos = createRepositories(h.db, secrets, clock);
    const config = loadConfig({ env: {}, overrides: { sync: { lockWaitMs: 1_500 } } });
    services = createServices({ db: h.db, secrets, repos, clock, logger: quiet, config });
    const nimbus = await repos.smartAccounts.upsert({ domain: NIMBUS, name: 'Nimbus' });
    const op = await repos.virtualAccounts.upsert(nimbus.id, { name: 'va-op' });
    await repos.virtualAccounts.setRole(op.id, 'operational');
    await repos.virtualAccounts.setLicenseMode(op.id, 'HCS');
    const ordered = await repos.virtualAccounts.upsert(nimbus.id, { name: 'va-ordered' });
    await repos.virtualAccounts.setRole(ordered.id, 'ordered');
    await repos.virtualAccounts.setLicenseMode(ordered.id, 'HCS');
    await repos.virtualAccounts.upsert(nimbus.id, { name: 'va-nomode' });
    const acme = await repos.smartAccounts.upsert({ domain: ACME, name: 'Acme' });
    const ent = await repos.virtualAccounts.upsert(acme.id, { name: 'va-ent' });
    await repos.virtualAccounts.setLicenseMode(ent.id, 'Enterprise');
  });
  afterEach(async () => {
    await services?.close();
    await h?.close();
  });

  const table = (t: 'clusters' | 'cluster_nodes' | 'customers' | 'jobs' | 'audit_log') =>
    h.db.selectFrom(t).selectAll().orderBy('id').execute();

  it('stores every row in one job, encrypted, assigned and with their nodes; a re-import writes nothing', async () => {
    const r = await services.clusters.import({
      rows: rows(),
      requestedBy: 'cli:test',
      source: 'estate.csv',
      assignedStatus: 'Manually Registered',
    });
    const assigned = rows().filter((x) => x.va).length;
    expect(r).toMatchObject({
      rows: N,
      added: N,
      updated: 0,
      unchanged: 0,
      assigned,
      customersAdded: 250,
    });
    expect(r.job).toMatchObject({
      jobType: 'Import Clusters',
      status: 'Completed',
      entityName: 'estate.csv',
    });

    const stored = await repos.clusters.list();
    expect(stored).toHaveLength(N);
    const byName = new Map(stored.map((c) => [c.name, c]));
    const c7 = byName.get('cl-7')!;
    expect(c7).toMatchObject({
      type: 'CUC',
      virtualAccountId: expect.any(Number),
      status: 'Manually Registered',
      licensing: 'Smart',
    });
    expect(byName.get('cl-2')).toMatchObject({ type: 'CER', virtualAccountId: null, status: null });
    expect(await repos.clusters.getAdminCredentials(c7.id)).toEqual({
      username: 'axladmin',
      password: 'pw-7-secret',
    });
    // At rest the password is ciphertext only.
    const raw = (await table('clusters')).find((c) => c.name === 'cl-7')!;
    expect(raw.admin_password_enc).toMatch(/^v1:/);
    expect(JSON.stringify(await table('clusters'))).not.toContain('pw-7-secret');
    expect(await repos.clusters.listNodes(byName.get('cl-5')!.id)).toEqual([
      { hostname: 'cl-5-pub.example', address: null, role: 'publisher' },
    ]);
    const va = await repos.virtualAccounts.getById(c7.virtualAccountId!);
    expect(va?.name).toBe('va-ent');
    // One job, one audit row of the import (no job or audit per cluster).
    expect((await table('jobs')).map((j) => j.job_type)).toEqual(['Import Clusters']);
    expect((await table('audit_log')).map((a) => a.action)).toEqual(['Import Clusters']);
    // The leases of both accounts were held and given back.
    const leases = await h.db.selectFrom('sync_leases').selectAll().execute();
    expect(leases).toHaveLength(2);
    for (const l of leases) expect(l.expires_at! <= clock.now().toISOString()).toBe(true);

    // Idempotence: the same file again changes no row at all (not even updated_at).
    const before = {
      clusters: await table('clusters'),
      nodes: await table('cluster_nodes'),
      customers: await table('customers'),
    };
    clock.advance({ minutes: 5 });
    const again = await services.clusters.import({
      rows: rows(),
      requestedBy: 'cli:test',
      source: 'estate.csv',
      assignedStatus: 'Manually Registered',
    });
    expect(again).toMatchObject({
      added: 0,
      updated: 0,
      unchanged: N,
      assigned: 0,
      customersAdded: 0,
    });
    expect({
      clusters: await table('clusters'),
      nodes: await table('cluster_nodes'),
      customers: await table('customers'),
    }).toEqual(before);
  });

  it('an update keeps what the operator set: the VA, the AXL override, nodes, status and licensing state', async () => {
    await services.clusters.import({ rows: rows(30), requestedBy: 'cli:test', source: 'a.csv' });
    const c0 = (await repos.clusters.list()).find((c) => c.name === 'cl-0')!;
    // What happened since: an AXL override and a subscriber node set by hand, a status read.
    await repos.clusters.upsert({
      customerId: c0.customerId,
      name: 'cl-0',
      type: 'CUCM',
      publisherAddress: c0.publisherAddress,
      axlSchemaVersion: '12.5',
    });
    await repos.clusters.replaceNodes(c0.id, [
      { hostname: 'cl-0-pub.example', address: null, role: 'publisher' },
      { hostname: 'cl-0-sub.example', address: '10.0.0.2', role: 'subscriber' },
    ]);
    await repos.clusters.updateStatus(c0.id, {
      registrationStatus: 'Registered',
      status: 'Manually Registered',
    });

    const changed = rows(30).map((r) =>
      r.name === 'cl-0'
        ? {
            ...r,
            version: '15.0.1.10000-10',
            va: undefined,
            publisherHostname: 'cl-0-newpub.example',
          }
        : r,
    );
    const r = await services.clusters.import({
      rows: changed,
      requestedBy: 'cli:test',
      source: 'b.csv',
    });
    expect(r).toMatchObject({ added: 0, updated: 1, unchanged: 29 });
    const after = (await repos.clusters.getById(c0.id))!;
    expect(after).toMatchObject({
      version: '15.0.1.10000-10',
      virtualAccountId: c0.virtualAccountId,
      axlSchemaVersion: '12.5',
      registrationStatus: 'Registered',
      status: 'Manually Registered',
    });
    expect(await repos.clusters.listNodes(c0.id)).toEqual([
      { hostname: 'cl-0-newpub.example', address: null, role: 'publisher' },
      { hostname: 'cl-0-sub.example', address: '10.0.0.2', role: 'subscriber' },
    ]);
  });

  it('a file with bad rows writes nothing and names every bad line', async () => {
    await services.clusters.import({ rows: rows(3), requestedBy: 'cli:test', source: 'a.csv' });
    const before = {
      clusters: await table('clusters'),
      customers: await table('customers'),
      jobs: await table('jobs'),
    };
    const bad: ClusterImportRow[] = [
      ...rows(40).slice(3),
      { ...rows(1)[0]!, line: 50, name: 'new-1', va: `${NIMBUS}/va-ordered` },
      { ...rows(1)[0]!, line: 51, name: 'new-2', va: `${NIMBUS}/va-nomode` },
      { ...rows(1)[0]!, line: 52, name: 'new-3', va: `${NIMBUS}/nope` },
      { ...rows(1)[0]!, line: 53, name: 'new-4', version: '11.5.1.10000-6', va: `${NIMBUS}/va-op` },
      // cl-1 is assigned to Acme's VA already.
      { ...rows(2)[1]!, line: 54, va: `${NIMBUS}/va-op` },
    ];
    const r = await services.clusters.import({
      rows: bad,
      requestedBy: 'cli:test',
      source: 'bad.csv',
    });
    expect(r.problems.map((p) => [p.line, p.message.split(':')[0]])).toEqual([
      [50, 'VA_ORDERED'],
      [51, 'SLM1014'],
      [52, 'NOT_FOUND'],
      [53, 'SLMCT1006'],
      [54, 'SLMCT1007'],
    ]);
    expect(r.job).toBeUndefined();
    expect({
      clusters: await table('clusters'),
      customers: await table('customers'),
      jobs: await table('jobs'),
    }).toEqual(before);
  });

  it('waits for a sync holding an account that gains clusters, and gives up with SYNC_BUSY writing nothing', async () => {
    const acme = (await repos.smartAccounts.getByDomain(ACME))!;
    // Another machine's sync holds Acme's lease and keeps renewing it.
    const other = 'other-machine|4242|x|1';
    const took = await repos.syncLeases.take(acme.id, other, () => true, 60_000);
    expect('held' in took).toBe(true);
    const e = await services.clusters
      .import({ rows: rows(20), requestedBy: 'cli:test', source: 'a.csv' })
      .then(
        () => undefined,
        (x: unknown) => x,
      );
    // The job's failure carries the lease's error.
    expect(e).toBeInstanceOf(JobFailedError);
    expect((e as JobFailedError).error.code).toBe('SYNC_BUSY');
    expect(await table('clusters')).toEqual([]);
    expect((await table('jobs')).map((j) => [j.job_type, j.status, j.error_code])).toEqual([
      ['Import Clusters', 'Failed', 'SYNC_BUSY'],
    ]);
    // Nimbus's lease, taken before Acme's was found busy, was given back.
    const nimbus = (await repos.smartAccounts.getByDomain(NIMBUS))!;
    const l = await repos.syncLeases.read(nimbus.id);
    expect(l!.expiresAt!.getTime()).toBeLessThanOrEqual(clock.now().getTime());

    // Once the sync ends, the same import goes through.
    await repos.syncLeases.release(acme.id, other);
    const r = await services.clusters.import({
      rows: rows(20),
      requestedBy: 'cli:test',
      source: 'a.csv',
    });
    expect(r.added).toBe(20);
  });
});
