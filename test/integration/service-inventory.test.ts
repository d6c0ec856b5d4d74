// Real: SQLite (in memory, migrated), the repositories writing a small hand-made estate, and
// core/reports/inventory.ts rendering it. Faked: nothing is synced — the rows are written
// directly so that the output is fully known. Checked against the golden file
// test/golden/service-inventory.txt, written by hand from DOMAIN §8's format (its PLMINFO
// example row is reproduced exactly for va-hcs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import { serviceInventory } from '../../core/reports/index.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
} from '../../core/store/index.ts';

const golden = join(
  fileURLToPath(new URL('.', import.meta.url)),
  '../golden/service-inventory.txt',
);
let h: DatabaseHandle;

beforeAll(async () => {
  const clock = new TestClock(new Date('2021-06-01T00:00:00.000Z'));
  h = openDatabase({ path: ':memory:', clock });
  await migrateToLatest(h.db);
  const r = createRepositories(h.db, SecretBox.random(), clock);
  const sa = await r.smartAccounts.upsert({ domain: 'smart-account.cisco.com', name: 'SA' });
  const sat = await r.smartAccounts.upsert({
    domain: 'la-eu.local',
    name: 'la-eu',
    source: 'satellite',
    localAccountName: 'la-eu',
    transportMode: 'Satellite',
  });
  const vaHcs = await r.virtualAccounts.upsert(sa.id, { name: 'virtual-account1' });
  const vaSat = await r.virtualAccounts.upsert(sat.id, { name: 'va-eu' });
  await r.licenses.replaceForVirtualAccount(vaHcs.id, [
    {
      licenseType: 'HUCM_Foundation',
      displayName: 'HCS UCM Foundation',
      quantity: 46000,
      inUse: 2,
      available: 45998,
      status: 'In Compliance',
      billingType: 'PREPAID',
      details: [
        {
          licenseType: 'TERM',
          quantity: 46000,
          startDate: new Date('2018-11-27'),
          endDate: new Date('2021-11-26'),
          subscriptionId: '1000',
          status: 'ACTIVE',
        },
      ],
    },
    {
      licenseType: 'HUCM_Standard',
      displayName: 'HCS UCM Standard',
      quantity: 10,
      inUse: 12,
      available: -2,
      status: 'Insufficient Licenses',
      billingType: 'PREPAID',
      details: [
        {
          licenseType: 'TERM',
          quantity: 6,
          startDate: new Date('2020-01-01'),
          endDate: new Date('2023-01-01'),
          subscriptionId: 'Sub2',
          status: 'ACTIVE',
        },
        {
          licenseType: 'TERM',
          quantity: 4,
          startDate: new Date('2020-01-01'),
          endDate: new Date('2022-03-31'),
          subscriptionId: 'Sub3',
          status: 'ACTIVE',
        },
      ],
    },
  ]);
  await r.licenses.replaceForVirtualAccount(vaSat.id, [
    {
      licenseType: 'HCUC_BasicMessaging',
      displayName: 'HCS Unity Connection Basic',
      quantity: 100,
      inUse: 40,
      available: 60,
      status: 'In Compliance',
      billingType: 'PREPAID',
      details: [
        {
          licenseType: 'PERPETUAL',
          quantity: 100,
          startDate: null,
          endDate: null,
          subscriptionId: null,
          status: 'ACTIVE',
        },
      ],
    },
  ]);
  const acme = await r.customers.upsert({ name: 'Acme' });
  const beta = await r.customers.upsert({ name: 'Beta|Corp' });
  const add = async (
    customerId: number,
    name: string,
    type: 'CUCM' | 'CUC',
    version: string,
    publisher: string,
    vaId: number,
    usage: [string, number][],
  ) => {
    const c = await r.clusters.upsert({
      customerId,
      name,
      type,
      version,
      publisherAddress: `https://${publisher}:8443`,
    });
    await r.clusters.replaceNodes(c.id, [
      { hostname: publisher, address: null, role: 'publisher' },
    ]);
    await r.clusters.assign(c.id, vaId, 'Manually Registered');
    await r.clusters.replaceLicenseUsage(
      c.id,
      usage.map(([licenseType, count]) => ({
        licenseType,
        tag: null,
        count,
        status: 'InCompliance',
      })),
    );
  };
  await add(acme.id, 'acme-cucm', 'CUCM', '10.5.2.10000-5', 'cucm1.acme.example', vaHcs.id, [
    ['HUCM_Foundation', 2],
    ['HUCM_Standard', 5],
  ]);
  await add(beta.id, 'beta-cucm', 'CUCM', '10.5.2.10000-5', 'cucm1.beta.example', vaHcs.id, [
    ['HUCM_Standard', 7],
  ]);
  await add(acme.id, 'acme-cuc', 'CUC', '14.0.1.13900-155', 'cuc1.acme.example', vaSat.id, [
    ['HCUC_BasicMessaging', 40],
  ]);
});

afterAll(async () => {
  await h?.close();
});

it('matches the golden file', async () => {
  expect(await serviceInventory(h.db)).toBe(readFileSync(golden, 'utf8'));
});
