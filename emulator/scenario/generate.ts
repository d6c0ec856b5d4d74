/**
 * Scenario generators: `demo` (a small HCS provider with the trouble an operator meets),
 * `empty`, and `scale(N)` (N customers with realistic clusters for benchmarks). All output
 * the scenario file format, so `data/scenarios/demo.json` is exactly `demoScenario()`.
 */
import { licenseType, type LicenseTypeId } from '../../core/domain/catalog.ts';
import { Rng } from '../util/rng.ts';
import { DAY, iso, parseTime, ymd } from '../util/time.ts';
import { SCENARIO_SCHEMA_ID, type ScenarioInput } from '../model/scenario-schema.ts';
import { withPast } from './history.ts';

export const DEFAULT_NOW = '2026-11-28T12:00:00Z';

type ClusterIn = NonNullable<ScenarioInput['clusters']>[number];
type VaIn = NonNullable<
  NonNullable<ScenarioInput['smartAccounts']>[number]['virtualAccounts']
>[number];
type TokenIn = NonNullable<VaIn['tokens']>[number];
type Demand = Partial<Record<LicenseTypeId, number>>;

const VERSIONS = {
  '11.5': '11.5.1.18900-97',
  '12.5': '12.5.1.17900-64',
  '14': '14.0.1.13900-155',
  '15': '15.0.1.10000-19',
} as const;
type Ver = keyof typeof VERSIONS;

class Builder {
  readonly rng: Rng;
  readonly now: number;

  constructor(seed: number, now: string) {
    this.rng = new Rng(seed);
    this.now = parseTime(now);
  }

  ago(days: number): string {
    return iso(this.now - days * DAY);
  }

  token(
    days: { created: number; expires: number },
    description: string,
    exportControlled = false,
  ): TokenIn {
    const raw = `${this.rng.uuid()}-${this.now - days.created * DAY}|${this.rng.alnum(44)}`;
    const b64 = Buffer.from(raw).toString('base64');
    return {
      token: (b64.match(/.{1,60}/g) ?? [b64]).map((s) => encodeURIComponent(s)).join('%0A') + '%0A',
      description,
      createdAt: this.ago(days.created),
      expiresAt: this.ago(-days.expires),
      exportControlled,
      createdBy: 'hcs-admin@nimbus.example.com',
    };
  }

  term(type: LicenseTypeId, quantity: number, sub: string, years = 3) {
    const start = this.now - this.rng.int(60, 500) * DAY;
    return {
      type,
      quantity,
      licenseType: 'TERM' as const,
      startDate: ymd(start),
      endDate: ymd(start + years * 365 * DAY - DAY),
      subscriptionId: sub,
      billingType: 'PREPAID' as const,
    };
  }

  perpetual(type: LicenseTypeId, quantity: number) {
    return {
      type,
      quantity,
      licenseType: 'PERPETUAL' as const,
      startDate: null,
      endDate: null,
      subscriptionId: null,
      billingType: 'PREPAID' as const,
    };
  }

  sub(): string {
    return `Sub${this.rng.int(100000, 999999)}`;
  }

  cluster(p: {
    name: string;
    customer: string;
    domain: string;
    type: 'CUCM' | 'CUC' | 'CER';
    ver: Ver;
    mode: 'Enterprise' | 'HCS';
    transport: ClusterIn['transport'];
    demand: Demand;
    subscribers?: number;
    pool?: string | null;
    registered?: boolean;
    lastAuthDaysAgo?: number;
    installedDaysAgo?: number;
    exportControlled?: boolean;
  }): ClusterIn {
    const subs = p.subscribers ?? (p.type === 'CUCM' ? this.rng.int(1, 3) : 1);
    const nodes: { name: string; role: 'publisher' | 'subscriber' }[] = [
      { name: `${p.name}-pub.${p.domain}`, role: 'publisher' },
    ];
    for (let i = 1; i <= subs; i++)
      nodes.push({ name: `${p.name}-sub${i}.${p.domain}`, role: 'subscriber' });
    const installed = p.installedDaysAgo ?? this.rng.int(200, 900);
    const smart = p.ver !== '11.5';
    const registered = smart && (p.registered ?? true) && p.pool;
    const registeredDaysAgo = Math.min(installed - 1, this.rng.int(30, 170));
    const lastAuth = p.lastAuthDaysAgo ?? this.rng.int(0, 29);
    return {
      name: p.name,
      customer: p.customer,
      type: p.type,
      version: VERSIONS[p.ver],
      nodes,
      licenseMode: p.mode,
      transport: p.transport,
      demand: p.demand,
      installedAt: this.ago(installed),
      credentials: { username: 'administrator', password: this.rng.alnum(16) },
      intendedPool: p.pool ?? null,
      registration: registered
        ? {
            pool: p.pool!,
            registeredAt: this.ago(Math.max(registeredDaysAgo, lastAuth)),
            lastAuthorizationSuccessAt: this.ago(lastAuth),
            lastIdRenewalAt: this.ago(Math.max(registeredDaysAgo, lastAuth)),
            exportControlled: p.exportControlled ?? false,
            udi: {
              pid: p.type === 'CUCM' ? 'UCM' : p.type,
              sn: this.rng.hex(5),
              uuid: this.rng.hex(32),
            },
          }
        : null,
    };
  }

  secret(): string {
    return this.rng.alnum(32);
  }

  clientId(prefix: string): string {
    return `${prefix}-${this.rng.hex(8)}-${this.rng.hex(4)}-${this.rng.hex(12)}`;
  }
}

const PROXY = (domain: string): ClusterIn['transport'] => ({
  mode: 2,
  url: null,
  proxyHost: `proxy.${domain}`,
  proxyPort: 3128,
});
const DIRECT: ClusterIn['transport'] = { mode: 0, url: null, proxyHost: null, proxyPort: null };
const SATELLITE = (host: string): ClusterIn['transport'] => ({
  mode: 1,
  url: `https://${host}/SmartTransport`,
  proxyHost: null,
  proxyPort: null,
});

/** The demo world of the README: two SAs, one satellite, 6 customers, 24 clusters, and trouble. */
export function demoScenario(
  opts: { seed?: number; now?: string; historyDays?: number } = {},
): ScenarioInput {
  const today = demoToday(opts);
  // With a past: the same demo `historyDays` earlier and the timeline that leads to today
  // (history.ts); Globex is the customer that outgrows its licenses along the way.
  return opts.historyDays
    ? withPast(today, {
        days: opts.historyDays,
        seed: opts.seed ?? 1,
        runningShort: ['globex-cucm-01'],
      })
    : today;
}

function demoToday(opts: { seed?: number; now?: string }): ScenarioInput {
  const b = new Builder(opts.seed ?? 1, opts.now ?? DEFAULT_NOW);
  const sa1 = 'nimbus-hcs.example.com';
  const sa2 = 'nimbus-eu.example.com';
  const satHost = 'ssm-onprem.eu.nimbus.example.com';
  const op = `cloud:${sa1}/va-hcs-operational`;
  const expired = b.token({ created: 120, expires: -30 }, 'Stark onboarding (expired)');

  const clusters: ClusterIn[] = [
    // Acme: Enterprise mode, own VA, through the provider's proxy; the CER is still on PLM.
    b.cluster({
      name: 'acme-cucm-01',
      customer: 'Acme Corp',
      domain: 'acme.example',
      type: 'CUCM',
      ver: '14',
      mode: 'Enterprise',
      transport: PROXY('nimbus.example.com'),
      pool: `cloud:${sa1}/va-acme`,
      demand: { UCM_Enhanced: 320, UCM_CUWL: 60, UCM_TelePresenceRoom: 4 },
      exportControlled: true,
    }),
    b.cluster({
      name: 'acme-cucm-02',
      customer: 'Acme Corp',
      domain: 'acme.example',
      type: 'CUCM',
      ver: '12.5',
      mode: 'Enterprise',
      transport: PROXY('nimbus.example.com'),
      pool: `cloud:${sa1}/va-acme`,
      demand: { UCM_Basic: 80, UCM_Enhanced: 90, UCM_EnhancedPlus: 40 },
    }),
    b.cluster({
      name: 'acme-cuc-01',
      customer: 'Acme Corp',
      domain: 'acme.example',
      type: 'CUC',
      ver: '14',
      mode: 'Enterprise',
      transport: PROXY('nimbus.example.com'),
      pool: `cloud:${sa1}/va-acme`,
      demand: { CUC_BasicMessaging: 240, CUC_EnhancedMessaging: 20 },
    }),
    b.cluster({
      name: 'acme-cer-01',
      customer: 'Acme Corp',
      domain: 'acme.example',
      type: 'CER',
      ver: '11.5',
      mode: 'Enterprise',
      transport: DIRECT,
      pool: null,
      demand: { CER_USER: 300 },
    }),
    // Globex: HCS mode, own VA that is short of HCS UCM Standard.
    b.cluster({
      name: 'globex-cucm-01',
      customer: 'Globex',
      domain: 'globex.example',
      type: 'CUCM',
      ver: '15',
      mode: 'HCS',
      transport: DIRECT,
      pool: `cloud:${sa1}/va-globex`,
      demand: { UCM_Enhanced: 260, UCM_EnhancedPlus: 120, UCM_CUWL: 100 },
    }),
    b.cluster({
      name: 'globex-cucm-02',
      customer: 'Globex',
      domain: 'globex.example',
      type: 'CUCM',
      ver: '12.5',
      mode: 'HCS',
      transport: DIRECT,
      pool: `cloud:${sa1}/va-globex`,
      demand: { UCM_Essential: 40, UCM_Enhanced: 180 },
    }),
    b.cluster({
      name: 'globex-cuc-01',
      customer: 'Globex',
      domain: 'globex.example',
      type: 'CUC',
      ver: '15',
      mode: 'HCS',
      transport: DIRECT,
      pool: `cloud:${sa1}/va-globex`,
      demand: { CUC_BasicMessaging: 210 },
    }),
    b.cluster({
      name: 'globex-cer-01',
      customer: 'Globex',
      domain: 'globex.example',
      type: 'CER',
      ver: '14',
      mode: 'HCS',
      transport: DIRECT,
      pool: `cloud:${sa1}/va-globex`,
      demand: { CER_USER: 260 },
    }),
    // Hooli: shared operational VA; one CUCM cut off from CSSM for 80 days (expires in 10).
    {
      ...b.cluster({
        name: 'hooli-cucm-01',
        customer: 'Hooli',
        domain: 'hooli.example',
        type: 'CUCM',
        ver: '14',
        mode: 'HCS',
        transport: PROXY('hooli.example'),
        pool: op,
        demand: { UCM_Enhanced: 150, UCM_CUWL: 30 },
        lastAuthDaysAgo: 80,
      }),
      cutoff: true,
    },
    b.cluster({
      name: 'hooli-cuc-01',
      customer: 'Hooli',
      domain: 'hooli.example',
      type: 'CUC',
      ver: '14',
      mode: 'HCS',
      transport: PROXY('hooli.example'),
      pool: op,
      demand: { CUC_BasicMessaging: 120 },
    }),
    b.cluster({
      name: 'hooli-cer-01',
      customer: 'Hooli',
      domain: 'hooli.example',
      type: 'CER',
      ver: '12.5',
      mode: 'HCS',
      transport: PROXY('hooli.example'),
      pool: op,
      demand: { CER_USER: 150 },
    }),
    b.cluster({
      name: 'hooli-cucm-02',
      customer: 'Hooli',
      domain: 'hooli.example',
      type: 'CUCM',
      ver: '11.5',
      mode: 'HCS',
      transport: DIRECT,
      pool: null,
      demand: { UCM_Enhanced: 90 },
    }),
    // Stark: a new CUCM whose registration failed with an expired token.
    {
      ...b.cluster({
        name: 'stark-cucm-01',
        customer: 'Stark Industries',
        domain: 'stark.example',
        type: 'CUCM',
        ver: '15',
        mode: 'HCS',
        transport: DIRECT,
        pool: op,
        registered: false,
        installedDaysAgo: 20,
        demand: { UCM_Enhanced: 200, UCM_EnhancedPlus: 25 },
      }),
      lastRegistrationFailure: {
        at: b.ago(2),
        reason:
          'INVALID_PARAMETER: The ID token is invalid or expired. Please use a valid token or create a new one in the Virtual Account.',
        token: expired.token,
      },
    },
    b.cluster({
      name: 'stark-cuc-01',
      customer: 'Stark Industries',
      domain: 'stark.example',
      type: 'CUC',
      ver: '15',
      mode: 'HCS',
      transport: DIRECT,
      pool: op,
      demand: { CUC_BasicMessaging: 180, CUC_EnhancedMessaging: 30 },
    }),
    b.cluster({
      name: 'stark-cer-01',
      customer: 'Stark Industries',
      domain: 'stark.example',
      type: 'CER',
      ver: '15',
      mode: 'HCS',
      transport: DIRECT,
      pool: op,
      demand: { CER_USER: 220 },
    }),
    b.cluster({
      name: 'stark-cuc-02',
      customer: 'Stark Industries',
      domain: 'stark.example',
      type: 'CUC',
      ver: '11.5',
      mode: 'HCS',
      transport: DIRECT,
      pool: null,
      demand: { CUC_BasicMessaging: 60 },
    }),
    // Initech and Umbrella: behind the disconnected satellite (27 days since its last sync).
    b.cluster({
      name: 'initech-cucm-01',
      customer: 'Initech',
      domain: 'initech.example',
      type: 'CUCM',
      ver: '14',
      mode: 'HCS',
      transport: SATELLITE(satHost),
      pool: 'satellite:la-initech',
      demand: { UCM_Enhanced: 210, UCM_EnhancedPlus: 30 },
    }),
    b.cluster({
      name: 'initech-cucm-02',
      customer: 'Initech',
      domain: 'initech.example',
      type: 'CUCM',
      ver: '12.5',
      mode: 'HCS',
      transport: SATELLITE(satHost),
      pool: 'satellite:la-initech',
      demand: { UCM_Basic: 70 },
    }),
    b.cluster({
      name: 'initech-cuc-01',
      customer: 'Initech',
      domain: 'initech.example',
      type: 'CUC',
      ver: '14',
      mode: 'HCS',
      transport: SATELLITE(satHost),
      pool: 'satellite:la-initech',
      demand: { CUC_BasicMessaging: 160 },
    }),
    b.cluster({
      name: 'initech-cer-01',
      customer: 'Initech',
      domain: 'initech.example',
      type: 'CER',
      ver: '14',
      mode: 'HCS',
      transport: SATELLITE(satHost),
      pool: 'satellite:la-initech',
      demand: { CER_USER: 200 },
    }),
    b.cluster({
      name: 'umbrella-cucm-01',
      customer: 'Umbrella',
      domain: 'umbrella.example',
      type: 'CUCM',
      ver: '15',
      mode: 'HCS',
      transport: SATELLITE(satHost),
      pool: 'satellite:la-umbrella',
      demand: { UCM_Enhanced: 400, UCM_CUWL: 50, UCM_TelePresenceRoom: 6 },
    }),
    b.cluster({
      name: 'umbrella-cuc-01',
      customer: 'Umbrella',
      domain: 'umbrella.example',
      type: 'CUC',
      ver: '12.5',
      mode: 'HCS',
      transport: SATELLITE(satHost),
      pool: 'satellite:la-umbrella',
      demand: { CUC_BasicMessaging: 350 },
    }),
    b.cluster({
      name: 'umbrella-cer-01',
      customer: 'Umbrella',
      domain: 'umbrella.example',
      type: 'CER',
      ver: '15',
      mode: 'HCS',
      transport: SATELLITE(satHost),
      pool: 'satellite:la-umbrella',
      demand: { CER_USER: 450 },
    }),
    b.cluster({
      name: 'umbrella-cucm-02',
      customer: 'Umbrella',
      domain: 'umbrella.example',
      type: 'CUCM',
      ver: '11.5',
      mode: 'HCS',
      transport: DIRECT,
      pool: null,
      demand: { UCM_Enhanced: 120 },
    }),
  ];

  const subA = b.sub();
  const subB = b.sub();
  const subC = b.sub();
  const subD = b.sub();
  const subE = b.sub();
  return {
    schema: SCENARIO_SCHEMA_ID,
    name: 'demo',
    description:
      'A hosted-collaboration provider with two smart accounts and one satellite: 6 customers, 24 clusters (CUCM, CUC, CER; 11.5 to 15). Trouble: va-globex is short of HCS UCM Standard; hooli-cucm-01 is cut off and its authorization expires in 10 days; stark-cucm-01 failed to register with an expired token; the satellite sat-eu-1 is disconnected and last synced 27 days ago.',
    now: iso(b.now),
    smartAccounts: [
      {
        domain: sa1,
        name: 'Nimbus Voice HCS',
        id: 418201,
        type: 'CUSTOMER',
        virtualAccounts: [
          {
            name: 'DEFAULT',
            description: 'Default virtual account',
            isDefault: true,
            role: 'default',
          },
          {
            name: 'va-hcs-ordered',
            description: 'HCS licenses as ordered (apps do not consume from here)',
            role: 'ordered',
            licenseMode: 'HCS',
            licenses: [
              b.term('HUCM_Foundation', 4000, subA),
              b.term('HUCM_Standard', 1500, subA),
              b.term('HUCM_TelePresenceRoom', 50, subA),
              b.term('HCUC_BasicMessaging', 2000, subA),
              b.term('HCUC_StandardMessaging', 300, subA),
              b.term('HCER_User', 1500, subA),
            ],
          },
          {
            name: 'va-hcs-operational',
            description: 'HCS operational pool shared by small customers',
            role: 'operational',
            licenseMode: 'HCS',
            licenses: [
              b.term('HUCM_Foundation', 800, subA),
              b.term('HUCM_Standard', 200, subA),
              b.term('HUCM_TelePresenceRoom', 10, subA),
              b.term('HCUC_BasicMessaging', 500, subA),
              b.term('HCUC_StandardMessaging', 100, subA),
              b.term('HCER_User', 600, subA),
            ],
            tokens: [
              b.token({ created: 10, expires: 355 }, 'HCS operational auto-registration'),
              expired,
            ],
          },
          {
            name: 'va-acme',
            description: 'Acme Corp (Enterprise licensing)',
            role: 'customer',
            licenseMode: 'Enterprise',
            licenses: [
              b.perpetual('UCM_Enhanced', 300),
              b.term('UCM_Enhanced', 100, subB),
              b.term('UCM_EnhancedPlus', 20, subB),
              b.term('UCM_CUWL', 100, subB),
              b.perpetual('UCM_Basic', 100),
              b.perpetual('UCM_TelePresenceRoom', 5),
              b.term('CUC_BasicMessaging', 300, subB),
              b.term('CUC_EnhancedMessaging', 25, subB),
              b.perpetual('CER_USER', 400),
            ],
            tokens: [b.token({ created: 30, expires: 335 }, 'Acme clusters', true)],
          },
          {
            name: 'va-globex',
            description: 'Globex (HCS)',
            role: 'customer',
            licenseMode: 'HCS',
            licenses: [
              b.term('HUCM_Foundation', 500, subC),
              b.term('HUCM_Standard', 150, subC),
              b.term('HCUC_BasicMessaging', 250, subC),
              b.term('HCER_User', 300, subC),
            ],
            tokens: [b.token({ created: 5, expires: 360 }, 'Globex clusters')],
          },
        ],
      },
      {
        domain: sa2,
        name: 'Nimbus Voice Europe',
        id: 418202,
        type: 'CUSTOMER',
        virtualAccounts: [
          {
            name: 'DEFAULT',
            description: 'Default virtual account',
            isDefault: true,
            role: 'default',
          },
          {
            name: 'va-eu-ordered',
            description: 'EU HCS licenses as ordered',
            role: 'ordered',
            licenseMode: 'HCS',
            licenses: [b.term('HUCM_Foundation', 2000, subD), b.term('HUCM_Standard', 500, subD)],
          },
          {
            name: 'va-initech',
            description: 'Initech (HCS, served by satellite sat-eu-1)',
            role: 'operational',
            licenseMode: 'HCS',
            licenses: [
              b.term('HUCM_Basic', 50, subE),
              b.term('HUCM_Foundation', 300, subE),
              b.term('HUCM_Standard', 60, subE),
              b.term('HCUC_BasicMessaging', 200, subE),
              b.term('HCER_User', 250, subE),
            ],
          },
          {
            name: 'va-umbrella',
            description: 'Umbrella (HCS, served by satellite sat-eu-1)',
            role: 'operational',
            licenseMode: 'HCS',
            licenses: [
              b.term('HUCM_Foundation', 450, subE),
              b.term('HUCM_Standard', 80, subE),
              b.term('HUCM_TelePresenceRoom', 10, subE),
              b.term('HCUC_BasicMessaging', 400, subE),
              b.term('HCER_User', 500, subE),
            ],
          },
        ],
      },
    ],
    satellites: [
      {
        name: 'sat-eu-1',
        host: satHost,
        version: '8-202404',
        mode: 'disconnected',
        schedule: 'monthly',
        lastSync: b.ago(27),
        cloudTokenIssuedAt: b.ago(27),
        localAccounts: [
          {
            name: 'la-initech',
            smartAccount: sa2,
            virtualAccount: 'va-initech',
            tokens: [b.token({ created: 40, expires: 325 }, 'Initech clusters')],
          },
          {
            name: 'la-umbrella',
            smartAccount: sa2,
            virtualAccount: 'va-umbrella',
            tokens: [b.token({ created: 40, expires: 325 }, 'Umbrella clusters')],
          },
        ],
      },
    ],
    clients: [
      {
        for: 'cloud',
        clientId: b.clientId('nimbus-hcs'),
        clientSecret: b.secret(),
        accounts: [sa1],
        name: 'smartlic (Nimbus HCS)',
      },
      {
        for: 'cloud',
        clientId: b.clientId('nimbus-eu'),
        clientSecret: b.secret(),
        accounts: [sa2],
        name: 'smartlic (Nimbus EU)',
      },
      {
        for: 'onprem',
        clientId: b.clientId('la-initech'),
        clientSecret: b.secret(),
        localAccount: 'la-initech',
      },
      {
        for: 'onprem',
        clientId: b.clientId('la-umbrella'),
        clientSecret: b.secret(),
        localAccount: 'la-umbrella',
      },
      {
        for: 'cloud',
        clientId: b.clientId('not-entitled'),
        clientSecret: b.secret(),
        accounts: [sa1],
        entitled: false,
        name: 'new app, not yet entitled to the API',
      },
    ],
    customers: [
      { id: 'cust-acme', name: 'Acme Corp' },
      { id: 'cust-globex', name: 'Globex' },
      { id: 'cust-hooli', name: 'Hooli' },
      { id: 'cust-stark', name: 'Stark Industries' },
      { id: 'cust-initech', name: 'Initech' },
      { id: 'cust-umbrella', name: 'Umbrella' },
    ],
    clusters,
  };
}

export function emptyScenario(now = DEFAULT_NOW): ScenarioInput {
  return { schema: SCENARIO_SCHEMA_ID, name: 'empty', now };
}

const NAMES = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
  'mike',
  'november',
  'oscar',
  'papa',
  'quebec',
  'romeo',
  'sierra',
  'tango',
];

/**
 * `count` customers of 10–15 clusters each (4 CUCM, 3 CUC, 3 CER in every ten), about 10 of
 * them smart-licensed and registered (what smartlic manages; the rest run 11.5 or are not
 * registered), so that N customers give about 10 N managed clusters; one VA per
 * customer in smart accounts of 50 customers, every fifth customer behind a satellite
 * (one per 100 customers, alternately connected and disconnected), licenses about 10 %
 * above demand with an occasional shortage.
 */
export function scaleScenario(
  count: number,
  opts: { seed?: number; now?: string } = {},
): ScenarioInput {
  const b = new Builder(opts.seed ?? 1, opts.now ?? DEFAULT_NOW);
  const rng = b.rng;
  const sas: NonNullable<ScenarioInput['smartAccounts']> = [];
  const satellites: NonNullable<ScenarioInput['satellites']> = [];
  const clients: NonNullable<ScenarioInput['clients']> = [];
  const customers: NonNullable<ScenarioInput['customers']> = [];
  const clusters: ClusterIn[] = [];
  const saCount = Math.max(1, Math.ceil(count / 50));
  for (let s = 0; s < saCount; s++) {
    const domain = `provider-${s + 1}.example.com`;
    sas.push({
      domain,
      name: `Provider ${s + 1}`,
      type: 'CUSTOMER',
      virtualAccounts: [
        { name: 'DEFAULT', isDefault: true, role: 'default' },
        {
          name: 'va-hcs-ordered',
          role: 'ordered',
          licenseMode: 'HCS',
          licenses: [
            b.term('HUCM_Foundation', 50000, b.sub()),
            b.term('HUCM_Standard', 10000, b.sub()),
          ],
        },
      ],
    });
    clients.push({
      for: 'cloud',
      clientId: b.clientId(`provider-${s + 1}`),
      clientSecret: b.secret(),
      accounts: [domain],
    });
  }
  const satCount = Math.ceil(count / 100);
  for (let i = 0; i < satCount; i++) {
    satellites.push({
      name: `sat-${i + 1}`,
      host: `ssm-onprem-${i + 1}.provider.example.com`,
      mode: i % 2 === 0 ? 'connected' : 'disconnected',
      schedule: 'daily',
      lastSync: b.ago(i % 2 === 0 ? rng.int(0, 1) : rng.int(1, 40)),
      localAccounts: [],
    });
  }
  const versions: Ver[] = ['11.5', '12.5', '12.5', '14', '14', '14', '15', '15'];
  for (let i = 0; i < count; i++) {
    const slug = `${NAMES[i % NAMES.length]}-${String(i + 1).padStart(4, '0')}`;
    const custName = `Customer ${slug}`;
    customers.push({ id: `cust-${slug}`, name: custName });
    const sa = sas[Math.floor(i / 50)]!;
    const vaName = `va-${slug}`;
    const mode = rng.chance(0.7) ? 'HCS' : 'Enterprise';
    const sat = i % 5 === 0 ? satellites[Math.floor(i / 100)] : undefined;
    let pool = `cloud:${sa.domain}/${vaName}`;
    let transport = rng.chance(0.5) ? DIRECT : PROXY(`${slug}.example`);
    if (sat) {
      const la = `la-${slug}`;
      sat.localAccounts!.push({
        name: la,
        smartAccount: sa.domain,
        virtualAccount: vaName,
        tokens: [b.token({ created: 10, expires: 355 }, `${slug} clusters`)],
      });
      clients.push({
        for: 'onprem',
        clientId: b.clientId(la),
        clientSecret: b.secret(),
        localAccount: la,
      });
      pool = `satellite:${la}`;
      transport = SATELLITE(sat.host);
    }
    const n = rng.int(10, 15);
    const total: Demand = {};
    for (let k = 0; k < n; k++) {
      const type = k % 10 < 4 ? 'CUCM' : k % 10 < 7 ? 'CUC' : 'CER';
      const users = rng.int(50, 1500);
      const demand: Demand =
        type === 'CUCM'
          ? {
              UCM_Essential: Math.round(users * 0.05),
              UCM_Basic: Math.round(users * 0.15),
              UCM_Enhanced: Math.round(users * 0.6),
              UCM_EnhancedPlus: Math.round(users * 0.1),
              UCM_CUWL: Math.round(users * 0.1),
              UCM_TelePresenceRoom: rng.int(0, 8),
            }
          : type === 'CUC'
            ? {
                CUC_BasicMessaging: Math.round(users * 0.8),
                CUC_EnhancedMessaging: Math.round(users * 0.1),
              }
            : { CER_USER: users };
      const ver = rng.pick(versions);
      const c = b.cluster({
        name: `${slug}-${type.toLowerCase()}-${String(k + 1).padStart(2, '0')}`,
        customer: custName,
        domain: `${slug}.example`,
        type,
        ver,
        mode,
        transport,
        demand,
        pool,
        registered: rng.chance(0.92),
      });
      clusters.push(c);
      if (c.registration) {
        for (const [t, q] of Object.entries(demand) as [LicenseTypeId, number][])
          total[t] = (total[t] ?? 0) + q;
      }
    }
    // Licenses: what the registered clusters use, in the family the mode asks for, +10 %.
    const need = new Map<LicenseTypeId, number>();
    for (const [t, q] of Object.entries(total) as [LicenseTypeId, number][]) {
      const target: LicenseTypeId = mode === 'Enterprise' ? t : hcsEntryOf(t);
      need.set(target, (need.get(target) ?? 0) + q);
    }
    const sub = b.sub();
    const lines = [...need].map(([t, q]) => {
      const factor = rng.chance(0.08) ? 0.85 : 1.1;
      return b.term(t, Math.max(1, Math.ceil(q * factor)), sub);
    });
    sa.virtualAccounts!.push({
      name: vaName,
      description: custName,
      role: sat ? 'operational' : 'customer',
      licenseMode: mode,
      licenses: lines,
      tokens: sat ? [] : [b.token({ created: 10, expires: 355 }, `${slug} clusters`)],
    });
  }
  return {
    schema: SCENARIO_SCHEMA_ID,
    name: `scale-${count}`,
    description: `${count} generated customers`,
    now: iso(b.now),
    smartAccounts: sas,
    satellites,
    clients,
    customers,
    clusters,
  };
}

function hcsEntryOf(t: LicenseTypeId): LicenseTypeId {
  return licenseType(t).hcsEntry ?? t;
}
