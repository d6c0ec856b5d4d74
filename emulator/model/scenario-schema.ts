/**
 * The scenario file format (JSON): what the demo generator produces, what `--scenario FILE`
 * and `POST /__emulator/scenario` load. Dates are ISO strings; license types are catalog ids.
 */
import { z } from 'zod';
import { LICENSE_TYPE_IDS } from '../../core/domain/catalog.ts';

export const SCENARIO_SCHEMA_ID = 'smartlic-emulator-scenario/1';

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO date');
const licenseTypeId = z.enum(LICENSE_TYPE_IDS);

export const tokenSchema = z.object({
  token: z.string().min(1),
  description: z.string().default(''),
  createdAt: isoDate,
  expiresAt: isoDate,
  exportControlled: z.boolean().default(false),
  createdBy: z.string().default('scenario'),
  revoked: z.boolean().default(false),
});

export const licenseLineSchema = z.object({
  type: licenseTypeId,
  quantity: z.number().int().nonnegative(),
  licenseType: z.enum(['TERM', 'PERPETUAL', 'DEMO', 'STANDARD']).default('TERM'),
  startDate: z.string().nullable().default(null),
  endDate: z.string().nullable().default(null),
  subscriptionId: z.string().nullable().default(null),
  billingType: z.enum(['PREPAID', 'USAGE']).default('PREPAID'),
});

export const virtualAccountSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(''),
  isDefault: z.boolean().default(false),
  commerceAccessLevel: z.string().default('FULL'),
  /** HCS role of the VA [doc: ordered / operational]; informative only. */
  role: z.enum(['ordered', 'operational', 'customer', 'default']).default('customer'),
  /** HCM-F's license mode for the VA (CSSM has no such field) — kept for state and docs. */
  licenseMode: z.enum(['Enterprise', 'HCS', 'HCS-LE']).nullable().default(null),
  licenses: z.array(licenseLineSchema).default([]),
  tokens: z.array(tokenSchema).default([]),
});

export const smartAccountSchema = z.object({
  domain: z.string().min(1),
  name: z.string().min(1),
  id: z.number().int().optional(),
  type: z.enum(['CUSTOMER', 'HOLDING']).default('CUSTOMER'),
  virtualAccounts: z.array(virtualAccountSchema).default([]),
});

export const clientSchema = z.discriminatedUnion('for', [
  z.object({
    for: z.literal('cloud'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    /** SA domains this client may read; the first is the one the ready line names. */
    accounts: z.array(z.string()).min(1),
    /** false: the OAuth app is not entitled to the API (token issued, calls get 403). */
    entitled: z.boolean().default(true),
    name: z.string().optional(),
  }),
  z.object({
    for: z.literal('onprem'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    localAccount: z.string().min(1),
    name: z.string().optional(),
  }),
]);

export const localAccountSchema = z.object({
  name: z.string().min(1),
  smartAccount: z.string().min(1),
  virtualAccount: z.string().min(1),
  tokens: z.array(tokenSchema).default([]),
});

export const satelliteSchema = z.object({
  name: z.string().min(1),
  host: z.string().min(1),
  version: z.string().default('8-202404'),
  mode: z.enum(['connected', 'disconnected']),
  schedule: z.enum(['daily', 'weekly', 'monthly']).default('daily'),
  lastSync: isoDate.nullable().default(null),
  /** When the satellite's access token towards CSSM was issued (valid 180 days) [doc]. */
  cloudTokenIssuedAt: isoDate.nullable().default(null),
  localAccounts: z.array(localAccountSchema).default([]),
});

export const nodeSchema = z.object({
  name: z.string().min(1),
  role: z.enum(['publisher', 'subscriber']),
});

export const registrationSchema = z.object({
  /** `cloud:<domain>/<va>` or `satellite:<local account>`. */
  pool: z.string().min(1),
  registeredAt: isoDate,
  lastAuthorizationSuccessAt: isoDate.optional(),
  lastIdRenewalAt: isoDate.optional(),
  /** Failed renewal attempts since the last success are implied; set the last attempt. */
  lastAuthorizationAttemptAt: isoDate.optional(),
  exportControlled: z.boolean().default(false),
  udi: z.object({ pid: z.string(), sn: z.string(), uuid: z.string() }).optional(),
});

export const clusterSchema = z.object({
  name: z.string().min(1),
  customer: z.string().min(1),
  type: z.enum(['CUCM', 'CUC', 'CER']),
  version: z.string().min(1),
  nodes: z.array(nodeSchema).min(1),
  licenseMode: z.enum(['Enterprise', 'HCS', 'HCS-LE']).default('Enterprise'),
  transport: z
    .object({
      mode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
      url: z.string().nullable().default(null),
      proxyHost: z.string().nullable().default(null),
      proxyPort: z.number().int().nullable().default(null),
    })
    .default({ mode: 0, url: null, proxyHost: null, proxyPort: null }),
  demand: z.record(licenseTypeId, z.number().int().nonnegative()).default({}),
  installedAt: isoDate,
  credentials: z.object({ username: z.string(), password: z.string() }),
  /** The VA (or local account) an operator means this cluster for; informative. */
  intendedPool: z.string().nullable().default(null),
  registration: registrationSchema.nullable().default(null),
  lastRegistrationFailure: z
    .object({ at: isoDate, reason: z.string(), token: z.string().optional() })
    .nullable()
    .default(null),
  /** Cut off from its licensing server from the start (same as a `cutoff` fault). */
  cutoff: z.boolean().default(false),
});

export const customerSchema = z.object({ id: z.string().min(1), name: z.string().min(1) });

/**
 * What happens to the lab on its own at a simulated time [ext]: what an operator or a customer
 * did outside smartlic's view (users added, a cluster cut off from CSSM, a satellite synced by
 * file, a token minted in the portal). A world started before `at` applies it when its clock
 * passes `at`, in time order with its other events; one started after has it from the start.
 * This is how a lab gets a past (`demoScenario({ historyDays })`).
 */
export const timelineEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('demand'),
    at: isoDate,
    cluster: z.string().min(1),
    /** The cluster's whole demand from then on (a type left out is 0). */
    demand: z.record(licenseTypeId, z.number().int().nonnegative()),
  }),
  z.object({
    kind: z.literal('cutoff'),
    at: isoDate,
    cluster: z.string().min(1),
    cutoff: z.boolean(),
  }),
  z.object({
    kind: z.literal('registrationFailure'),
    at: isoDate,
    cluster: z.string().min(1),
    reason: z.string().min(1),
  }),
  /** A satellite synchronized with CSSM (by file when disconnected, or "synchronize now"). */
  z.object({ kind: z.literal('satelliteSync'), at: isoDate, satellite: z.string().min(1) }),
  /** A token minted outside smartlic (CSSM portal), in `cloud:<domain>/<va>` or `satellite:<la>`. */
  z.object({ kind: z.literal('token'), at: isoDate, pool: z.string().min(1), token: tokenSchema }),
]);

export const scenarioSchema = z.object({
  schema: z.literal(SCENARIO_SCHEMA_ID).default(SCENARIO_SCHEMA_ID),
  name: z.string().default('custom'),
  description: z.string().default(''),
  now: isoDate.default('2026-11-28T12:00:00Z'),
  smartAccounts: z.array(smartAccountSchema).default([]),
  clients: z.array(clientSchema).default([]),
  satellites: z.array(satelliteSchema).default([]),
  customers: z.array(customerSchema).default([]),
  clusters: z.array(clusterSchema).default([]),
  timeline: z.array(timelineEventSchema).default([]),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioCluster = z.infer<typeof clusterSchema>;
export type ScenarioToken = z.infer<typeof tokenSchema>;
export type TimelineEvent = z.infer<typeof timelineEventSchema>;
export type ScenarioLicenseLine = z.infer<typeof licenseLineSchema>;
