/**
 * smartlic's configuration: one zod schema, filled from defaults, then an optional file
 * (`SMARTLIC_CONFIG`, JSON or YAML), then the environment. The only module that reads
 * `process.env` (bin/ passes it in). Every problem is reported at once with its field path.
 */
import { readFileSync } from 'node:fs';
import { validate as validateCron } from 'node-cron';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SmartlicError } from './errors.ts';
import { REDACTED, redact } from './redact.ts';

const logLevel = z.enum(['debug', 'info', 'warn', 'error', 'silent']);

const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone such as "UTC" or "Europe/Berlin"' },
);

const cronExpr = z.string().refine((c) => validateCron(c), {
  message: 'expected a cron expression such as "0 3 * * *" (minute hour day month weekday)',
});

const httpUrl = z
  .string()
  .url({ message: 'expected an absolute URL such as "https://host:port/path"' })
  .refine((u) => /^https?:/i.test(u), { message: 'expected an http:// or https:// URL' });

// ---- alerts (issue 9): every threshold of the alert rules (core/domain/alerts.ts) ----------
/** Days before a deadline, largest first: first reached → info, second → warning, third → critical. */
const stageDays = (defaults: number[]) =>
  z
    .array(z.number().int().min(0).max(3650))
    .min(1)
    .max(3)
    .refine((a) => a.every((d, i) => i === 0 || d < a[i - 1]!), {
      message: 'expected 1 to 3 distinct day counts, largest first, such as [30, 14, 7]',
    })
    .default(defaults);

/**
 * The sub-directory a static site is hosted under (`site.base`, `smartlic site build --base`):
 * `/` (the web root, the default) or e.g. `/smartlic/`. Returns it with a leading and trailing
 * `/`, or null when it is not a plain path (no scheme or host, query, `.`/`..` or odd characters).
 */
export function normalizeSiteBase(raw: string): string | null {
  const t = raw.trim();
  if (t === '' || t === '/') return '/';
  const parts = t.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.some((p) => !/^[A-Za-z0-9._~-]+$/.test(p) || p === '.' || p === '..')) return null;
  return `/${parts.join('/')}/`;
}

export const alertsConfigSchema = z
  .object({
    /** Evaluate the rules after every sync. */
    enabled: z.boolean().default(true),
    authorizationDays: stageDays([30, 14, 7]),
    registrationDays: stageDays([30, 14, 7]),
    evaluationDays: stageDays([30, 14, 7]),
    termLicenseDays: stageDays([90, 60, 30]),
    tokenDays: stageDays([14, 7, 3]),
    overageCriticalDays: z.number().int().min(0).max(90).default(30),
    forecastDays: z.number().int().min(1).max(3650).default(60),
    forecastWarningDays: z.number().int().min(0).max(3650).default(30),
    unreachableSyncs: z.number().int().min(1).max(1000).default(3),
    unreachableDays: z.number().int().min(1).max(365).default(2),
    satelliteUpcomingDays: z.number().int().min(0).max(30).default(7),
    satelliteSyncDays: z.number().int().min(1).max(365).default(30),
    satelliteRemovalDays: z.number().int().min(1).max(3650).default(90),
    satelliteCriticalBeforeRemovalDays: z.number().int().min(0).max(3650).default(30),
    syncFailures: z.number().int().min(1).max(1000).default(3),
    /** No successful sync for this many hours → critical; default: twice the schedule's interval. */
    syncStaleHours: z.number().int().min(1).max(8760).optional(),
    /** A VA CSSM no longer lists: alert from this many consecutive syncs without it. */
    vaMissingSyncs: z.number().int().min(1).max(1000).default(1),
    /** …critical when the sync will remove it within this many more agreeing syncs. */
    vaMissingCriticalSyncsLeft: z.number().int().min(0).max(1000).default(2),
    /** A satellite local account holding this many product instances (of 10,000): warning. */
    localAccountInstancesWarn: z.number().int().min(1).max(10000).default(9000),
    /**
     * Evaluate every scope on this schedule too, without a sync, so the time-based rules (no
     * successful sync for twice the schedule, expiries) open and change between syncs. null: off.
     */
    evaluateCron: cronExpr.nullable().default('30 * * * *'),
  })
  .strict()
  .default({});
// ---- end alerts ------------------------------------------------------------------------------
// ---------------------------------------------------------------- chat-ops (bot/): begin
// Kept in one block so other changes to this file merge cleanly.

const chatRoleList = z.array(z.string().min(3)).default([]);

/** Chat adapters, roles and alert delivery. Each adapter starts when its settings are all set. */
export const botConfigSchema = z
  .object({
    /** The one HTTP listener for Slack's and Webex's callbacks (127.0.0.1 unless bot.httpHost). */
    httpPort: z.number().int().min(0).max(65535).default(3000),
    httpHost: z.string().min(1).default('127.0.0.1'),
    /** Base URL of the published report site; `report` then links to its pages. */
    siteUrl: httpUrl.optional(),
    slack: z
      .object({
        botToken: z.string().min(1).optional(),
        // Slack's are 32 hex characters; a short one is a typo or a placeholder, and anyone
        // could forge requests signed with it.
        signingSecret: z
          .string()
          .min(
            16,
            "too short to be a Slack signing secret (Slack gives 32 hex characters): copy the Signing Secret from your Slack app's App Credentials into SLACK_SIGNING_SECRET",
          )
          .optional(),
        /** App-level token (xapp-…): Socket Mode instead of the HTTP receiver. */
        appToken: z.string().min(1).optional(),
        /** Slack Web API base (tests point it at a fake). */
        apiUrl: httpUrl.optional(),
        /** The slash command, as created in the Slack app (see bot/slack/manifest.yaml). */
        command: z
          .string()
          .regex(/^\/[a-z0-9_-]{1,31}$/, 'expected a slash command such as "/license"')
          .default('/license'),
      })
      .strict()
      .default({}),
    webex: z
      .object({
        botToken: z.string().min(1).optional(),
        /** Public URL Webex calls; its path must be /webex/events on the HTTP listener. */
        webhookUrl: httpUrl.optional(),
        webhookSecret: z.string().min(8).optional(),
        /** Webex API base (tests point it at a fake). */
        apiUrl: httpUrl.optional(),
        /** The word that starts a command in Webex messages. */
        keyword: z.string().min(1).default('license'),
      })
      .strict()
      .default({}),
    /** Chat users by role: `slack:U0123`, `webex:alice@example.com`, `console:alice`. */
    roles: z
      .object({ admin: chatRoleList, operator: chatRoleList, viewer: chatRoleList })
      .strict()
      .default({}),
    /** What a user who is in neither the config nor the database may do. */
    unknownUsers: z.enum(['viewer', 'none']).default('viewer'),
    /** Worker threads of `smartlic bot` that run commands (each holds its own connections). */
    workers: z.number().int().min(1).max(8).default(1),
    /**
     * Old-generation heap of each command worker, in MB: V8 collects before it grows past this
     * (the bot's memory target). A command that needs more ends its worker, is answered with
     * an error, and a new worker takes its place. 128 serves a 10,000-cluster estate.
     */
    workerHeapMb: z.number().int().min(64).max(16384).default(128),
    /** How long a chat confirmation (the button of a destructive command) may be pressed. */
    confirmMinutes: z.number().int().min(1).max(1440).default(10),
    /** The role of whoever runs `smartlic chat` / `ask` (they can open the database anyway). */
    consoleRole: z.enum(['viewer', 'operator', 'admin']).default('admin'),
    notify: z
      .object({
        /** An alert still open is posted again (in its thread) after this many hours. */
        renotifyHours: z
          .number()
          .min(0)
          .max(24 * 30)
          .default(24),
        /** At most one message per channel per this many ms. */
        channelIntervalMs: z.number().int().min(0).max(60_000).default(1000),
        /** How often the alert table is read for changes. */
        pollMs: z.number().int().min(50).max(3_600_000).default(5000),
      })
      .strict()
      .default({}),
    /** The MCP face (bot/mcp, docs/mcp.md): Streamable HTTP at /mcp on the listener. */
    mcp: z
      .object({
        /** Serve /mcp on the HTTP listener (start / serve). `smartlic mcp` (stdio) needs no switch. */
        enabled: z.boolean().default(false),
        /**
         * Host headers /mcp answers besides 127.0.0.1, localhost and [::1] at the listener's port
         * (DNS-rebinding protection): the name a reverse proxy forwards, e.g. "smartlic.example.com".
         */
        allowedHosts: z.array(z.string().min(1)).default([]),
        /** Origins a browser-based client may call from; a request with any other Origin is refused. */
        allowedOrigins: z.array(z.string().min(1)).default([]),
        /** Largest request body /mcp reads. */
        maxBodyBytes: z.number().int().min(1024).max(16_777_216).default(1_048_576),
        /** Open sessions at most (each holds a little memory); idle ones close after 30 minutes. */
        maxSessions: z.number().int().min(1).max(10_000).default(100),
        /** The bearer secret `smartlic mcp` (stdio) acts with (`mcp-token create` prints one). */
        token: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((b, ctx) => {
    // Half-configured adapters: name exactly what is missing.
    const s = b.slack;
    if (s.botToken || s.signingSecret || s.appToken) {
      if (!s.botToken)
        ctx.addIssue({
          code: 'custom',
          path: ['slack', 'botToken'],
          message: 'the Slack adapter is half set: SLACK_BOT_TOKEN (xoxb-…) is missing',
        });
      if (!s.appToken && !s.signingSecret)
        ctx.addIssue({
          code: 'custom',
          path: ['slack', 'signingSecret'],
          message:
            'the Slack adapter is half set: SLACK_SIGNING_SECRET is missing (or set SLACK_APP_TOKEN for Socket Mode)',
        });
    }
    const w = b.webex;
    if (w.botToken || w.webhookUrl || w.webhookSecret) {
      const missing = [
        !w.botToken && 'WEBEX_BOT_TOKEN',
        !w.webhookUrl && 'WEBEX_WEBHOOK_URL',
        !w.webhookSecret && 'WEBEX_WEBHOOK_SECRET',
      ].filter((x): x is string => typeof x === 'string');
      const path = !w.botToken ? 'botToken' : !w.webhookUrl ? 'webhookUrl' : 'webhookSecret';
      if (missing.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['webex', path],
          message: `the Webex adapter is half set: ${missing.join(', ')} missing`,
        });
    }
  });

export type BotConfig = z.infer<typeof botConfigSchema>;

const BOT_ENV_VARS: readonly {
  name: string;
  path: string;
  kind: 'string' | 'int' | 'bool';
  help: string;
}[] = [
  {
    name: 'SLACK_BOT_TOKEN',
    path: 'bot.slack.botToken',
    kind: 'string',
    help: 'Slack bot token (xoxb-…)',
  },
  {
    name: 'SLACK_SIGNING_SECRET',
    path: 'bot.slack.signingSecret',
    kind: 'string',
    help: 'Slack signing secret',
  },
  {
    name: 'SLACK_APP_TOKEN',
    path: 'bot.slack.appToken',
    kind: 'string',
    help: 'Slack app token: Socket Mode',
  },
  {
    name: 'SLACK_API_URL',
    path: 'bot.slack.apiUrl',
    kind: 'string',
    help: 'Slack Web API base URL',
  },
  {
    name: 'WEBEX_BOT_TOKEN',
    path: 'bot.webex.botToken',
    kind: 'string',
    help: 'Webex bot access token',
  },
  {
    name: 'WEBEX_WEBHOOK_URL',
    path: 'bot.webex.webhookUrl',
    kind: 'string',
    help: 'public URL of /webex/events',
  },
  {
    name: 'WEBEX_WEBHOOK_SECRET',
    path: 'bot.webex.webhookSecret',
    kind: 'string',
    help: 'Webex webhook secret',
  },
  { name: 'WEBEX_API_URL', path: 'bot.webex.apiUrl', kind: 'string', help: 'Webex API base URL' },
  {
    name: 'SMARTLIC_HTTP_PORT',
    path: 'bot.httpPort',
    kind: 'int',
    help: 'the HTTP listener for chat callbacks',
  },
  {
    name: 'SMARTLIC_MCP_HTTP',
    path: 'bot.mcp.enabled',
    kind: 'bool',
    help: 'serve MCP (Streamable HTTP) at /mcp on the HTTP listener',
  },
  {
    name: 'SMARTLIC_MCP_TOKEN',
    path: 'bot.mcp.token',
    kind: 'string',
    help: 'the MCP token `smartlic mcp` (stdio) acts with',
  },
  {
    name: 'SMARTLIC_SITE_URL',
    path: 'bot.siteUrl',
    kind: 'string',
    help: 'report site URL for chat links',
  },
];

const BOT_SECRET_PATHS = [
  'bot.slack.botToken',
  'bot.slack.signingSecret',
  'bot.slack.appToken',
  'bot.webex.botToken',
  'bot.webex.webhookSecret',
  'bot.mcp.token',
];
// ---------------------------------------------------------------- chat-ops (bot/): end

export const configSchema = z
  .object({
    db: z
      .object({
        path: z.string().min(1).default('data/smartlic.db'),
        /** postgres://…: PostgreSQL instead of the SQLite file (docs/storage.md). */
        url: z
          .string()
          .regex(
            /^postgres(ql)?:\/\//i,
            'must be a postgres:// URL (postgres://user:password@host:5432/database)',
          )
          .optional(),
      })
      .strict()
      .default({}),
    /** Key for secrets at rest (64 hex chars, base64 of 32 bytes, or a passphrase). */
    secretKey: z.string().min(1).optional(),
    log: z
      .object({ level: logLevel.default('info') })
      .strict()
      .default({}),
    emulator: z
      .object({
        /** `npm start` runs against the embedded emulator unless this is false. */
        embedded: z.boolean().default(true),
        port: z.number().int().min(0).max(65535).default(0),
        scenario: z.string().min(1).default('demo'),
        seed: z.number().int().default(1),
        /** Days of past the demo lab lives through at the first start (0 = none). */
        historyDays: z.number().int().min(0).max(365).default(90),
      })
      .strict()
      .default({}),
    cssm: z
      .object({
        tokenUrl: httpUrl.default('https://id.cisco.com/oauth2/default/v1/token'),
        apiBase: httpUrl.default(
          'https://swapi.cisco.com/services/api/smart-accounts-and-licensing',
        ),
        /** Root of the newer "Software APIs", where CSSM's device list lives (DOMAIN §2). */
        devicesApiBase: httpUrl.default('https://apx.cisco.com/v1/software/apis/'),
        /** HTTPS proxy towards CSSM (Proxy transport). No proxy authentication towards CSSM. */
        proxyUrl: httpUrl.optional(),
      })
      .strict()
      .default({}),
    http: z
      .object({
        timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
        maxRetries: z.number().int().min(0).max(20).default(4),
        concurrencyPerHost: z.number().int().min(1).max(256).default(8),
        /** A Retry-After longer than this fails at once ("CSSM asked to wait N s"). */
        retryAfterCapMs: z.number().int().min(0).default(120_000),
        /** Shortest wait before a retry, even when the server says `Retry-After: 0`. */
        minRetryDelayMs: z.number().int().min(0).max(60_000).default(500),
        /** Largest answer read; reading stops there and the request fails (HTTP_TOO_LARGE). */
        maxResponseBytes: z
          .number()
          .int()
          .min(1024)
          .default(64 * 1024 * 1024),
        pageSize: z.number().int().min(1).max(1000).default(200),
      })
      .strict()
      .default({}),
    sync: z
      .object({
        /** Automatic sync schedule; HCM-F syncs every 24 hours. */
        cron: cronExpr.default('0 3 * * *'),
        timezone: timezone.default('UTC'),
        enabled: z.boolean().default(true),
        /** Registration tokens expiring within this many days are refreshed by a sync. */
        tokenRefreshDays: z.number().int().min(0).max(3650).default(30),
        /** Lifetime asked for when smartlic creates a registration token. */
        tokenExpiresAfterDays: z.number().int().min(1).max(365).default(365),
        /**
         * Accounts synced in parallel. Not a politeness knob (http.concurrencyPerHost is: every
         * account's requests to one host share its slots); with 2, a big account held one of
         * two slots for most of a full sync while the hosts' slots idled (issue 23: scale 300,
         * 133.6 s with 2, 69.1 s with 16, same load).
         */
        accountConcurrency: z.number().int().min(1).max(64).default(16),
        /** Usage snapshots older than this many days are thinned to one a day (trends need no more). */
        snapshotDailyAfterDays: z.number().int().min(1).max(3650).default(30),
        /**
         * A VA CSSM stops listing is kept and marked missing; after this many consecutive syncs
         * that all lack it, it is removed (its usage history stays). 0: only the operator removes.
         */
        removeMissingAfterSyncs: z.number().int().min(0).max(1000).default(7),
        /**
         * A listing that drops at least this share of the account's VAs, licenses or devices is
         * suspect: the sync refuses it and keeps the previous data (sync --accept-drop applies it).
         */
        suspectDropShare: z.number().gt(0).max(1).default(0.5),
        /** How long a sync waits for another process's sync of the same account (then SYNC_BUSY). */
        lockWaitMs: z.number().int().min(0).max(3_600_000).default(60_000),
        /**
         * An account lease (a sync's or a write's) its holder stopped renewing — it crashed on
         * another machine — may be taken over after this long; renewed every third of it.
         */
        leaseTtlMs: z.number().int().min(1000).max(600_000).default(30_000),
      })
      .strict()
      .default({}),
    site: z
      .object({
        /** Where `smartlic site build` writes the static site. */
        outDir: z.string().min(1).default('site/dist'),
        /** The sub-directory the site is hosted under (`/smartlic/`); `/` is the web root. */
        base: z
          .string()
          .default('/')
          .transform((v, ctx) => {
            const b = normalizeSiteBase(v);
            if (b === null) {
              ctx.addIssue({
                code: z.ZodIssueCode.custom,
                message: `"${v}" is not a path such as /smartlic/ (letters, digits, . _ ~ - between slashes)`,
              });
              return z.NEVER;
            }
            return b;
          }),
        /** Rebuild the site after every sync (scheduled or asked for). */
        rebuildAfterSync: z.boolean().default(false),
      })
      .strict()
      .default({}),
    alerts: alertsConfigSchema, // issue 9
    bot: botConfigSchema.default({}),
    /** Several `serve` instances on one database, one leader (issue 24; docs/high-availability.md). */
    leader: z
      .object({
        /**
         * single: one instance per database; lease: a lease row; advisory: a PostgreSQL lock.
         * Unset: leaderElection() picks advisory on PostgreSQL (instances there usually share
         * the database) and single on SQLite (one file, one machine).
         */
        election: z.enum(['single', 'lease', 'advisory']).optional(),
        /** This instance's name in /healthz and /metrics (default host:pid:random). */
        instanceId: z.string().min(1).max(100).optional(),
        /** A lease not renewed for this long is taken over (worst failover: ttl + heartbeat). */
        ttlMs: z.number().int().min(1000).max(300_000).default(15_000),
        heartbeatMs: z.number().int().min(200).max(60_000).default(5_000),
      })
      .strict()
      .refine((l) => l.heartbeatMs * 2 <= l.ttlMs, {
        message:
          'heartbeatMs must be at most half of ttlMs (a leader renews at least twice per TTL)',
      })
      .default({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** The election in effect: leader.election, else advisory on PostgreSQL and single on SQLite. */
export function leaderElection(config: Config): 'single' | 'lease' | 'advisory' {
  return config.leader.election ?? (config.db.url !== undefined ? 'advisory' : 'single');
}

/** Environment variables, the config path they set, and how to read them. */
export const ENV_VARS: readonly {
  name: string;
  path: string;
  kind: 'string' | 'int' | 'bool';
  help: string;
}[] = [
  { name: 'SMARTLIC_DB', path: 'db.path', kind: 'string', help: 'SQLite file' },
  {
    name: 'SMARTLIC_DATABASE_URL',
    path: 'db.url',
    kind: 'string',
    help: 'postgres:// URL: PostgreSQL instead of SQLite',
  },
  {
    name: 'SMARTLIC_SECRET_KEY',
    path: 'secretKey',
    kind: 'string',
    help: 'key for secrets at rest',
  },
  {
    name: 'SMARTLIC_LOG_LEVEL',
    path: 'log.level',
    kind: 'string',
    help: 'debug|info|warn|error|silent',
  },
  {
    name: 'SMARTLIC_EMULATOR',
    path: 'emulator.embedded',
    kind: 'bool',
    help: 'run the embedded emulator',
  },
  {
    name: 'SMARTLIC_EMULATOR_PORT',
    path: 'emulator.port',
    kind: 'int',
    help: 'emulator port (0 = any)',
  },
  {
    name: 'SMARTLIC_EMULATOR_SCENARIO',
    path: 'emulator.scenario',
    kind: 'string',
    help: 'demo or a file',
  },
  {
    name: 'SMARTLIC_LAB_HISTORY_DAYS',
    path: 'emulator.historyDays',
    kind: 'int',
    help: "days of the demo lab's past synced at the first start (0 = none)",
  },
  {
    name: 'SMARTLIC_CSSM_TOKEN_URL',
    path: 'cssm.tokenUrl',
    kind: 'string',
    help: 'CSSM OAuth token URL',
  },
  {
    name: 'SMARTLIC_CSSM_API_BASE',
    path: 'cssm.apiBase',
    kind: 'string',
    help: 'CSSM API base URL',
  },
  {
    name: 'SMARTLIC_CSSM_DEVICES_API_BASE',
    path: 'cssm.devicesApiBase',
    kind: 'string',
    help: 'CSSM device-list API base URL',
  },
  {
    name: 'SMARTLIC_PROXY_URL',
    path: 'cssm.proxyUrl',
    kind: 'string',
    help: 'HTTPS proxy towards CSSM',
  },
  {
    name: 'SMARTLIC_HTTP_TIMEOUT_MS',
    path: 'http.timeoutMs',
    kind: 'int',
    help: 'request timeout',
  },
  {
    name: 'SMARTLIC_HTTP_RETRIES',
    path: 'http.maxRetries',
    kind: 'int',
    help: 'retries per request',
  },
  {
    name: 'SMARTLIC_HTTP_CONCURRENCY',
    path: 'http.concurrencyPerHost',
    kind: 'int',
    help: 'parallel requests per host',
  },
  {
    name: 'SMARTLIC_HTTP_MAX_RESPONSE_BYTES',
    path: 'http.maxResponseBytes',
    kind: 'int',
    help: 'largest answer read',
  },
  {
    name: 'SMARTLIC_SYNC_CRON',
    path: 'sync.cron',
    kind: 'string',
    help: 'automatic sync schedule',
  },
  {
    name: 'SMARTLIC_SYNC_TIMEZONE',
    path: 'sync.timezone',
    kind: 'string',
    help: 'time zone of the schedule',
  },
  {
    name: 'SMARTLIC_SYNC_ENABLED',
    path: 'sync.enabled',
    kind: 'bool',
    help: 'run scheduled syncs',
  },
  {
    name: 'SMARTLIC_TOKEN_REFRESH_DAYS',
    path: 'sync.tokenRefreshDays',
    kind: 'int',
    help: 'refresh tokens expiring within N days',
  },
  { name: 'SMARTLIC_SITE_OUT', path: 'site.outDir', kind: 'string', help: 'site output directory' },
  {
    name: 'SMARTLIC_SITE_BASE',
    path: 'site.base',
    kind: 'string',
    help: 'sub-directory the site is hosted under (e.g. /smartlic/)',
  },
  {
    name: 'SMARTLIC_SITE_REBUILD',
    path: 'site.rebuildAfterSync',
    kind: 'bool',
    help: 'rebuild the site after every sync',
  },
  ...BOT_ENV_VARS,
  {
    name: 'SMARTLIC_LEADER_ELECTION',
    path: 'leader.election',
    kind: 'string',
    help: 'single | lease | advisory: several serve instances on one database, one leader (default advisory on PostgreSQL, single on SQLite)',
  },
  {
    name: 'SMARTLIC_INSTANCE_ID',
    path: 'leader.instanceId',
    kind: 'string',
    help: "this instance's name in /healthz and /metrics",
  },
  {
    name: 'SMARTLIC_LEADER_TTL_MS',
    path: 'leader.ttlMs',
    kind: 'int',
    help: 'a leader lease not renewed for this long is taken over',
  },
  {
    name: 'SMARTLIC_LEADER_HEARTBEAT_MS',
    path: 'leader.heartbeatMs',
    kind: 'int',
    help: 'how often the leader renews and the others try',
  },
];

/** Paths whose values never leave the process unredacted. */
const SECRET_PATHS = new Set(['secretKey', ...BOT_SECRET_PATHS]);

type Plain = Record<string, unknown>;

function setPath(obj: Plain, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (!next || typeof next !== 'object') cur[k] = {};
    cur = cur[k] as Plain;
  }
  cur[keys[keys.length - 1]!] = value;
}

function deepMerge(a: Plain, b: Plain): Plain {
  const out: Plain = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      prev &&
      typeof prev === 'object' &&
      !Array.isArray(prev)
        ? deepMerge(prev as Plain, v as Plain)
        : v;
  }
  return out;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides that win over everything (CLI flags). */
  overrides?: Plain;
  /** `db.path` when neither the file nor the environment sets it (bin/ picks it). */
  defaultDbPath?: string;
}

/** Reads defaults → `SMARTLIC_CONFIG` file → environment → overrides; throws CONFIG listing every problem. */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  let fromFile: Plain = {};
  const file = env.SMARTLIC_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new SmartlicError({
        code: 'CONFIG',
        message: `cannot read the config file ${file} (SMARTLIC_CONFIG): ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        action: 'point SMARTLIC_CONFIG at a readable JSON or YAML file, or unset it',
        cause: e,
      });
    }
    try {
      const parsed: unknown = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
      if (parsed != null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
        problems.push(`(top level) (${file}): expected a mapping of settings`);
      } else fromFile = (parsed ?? {}) as Plain;
    } catch (e) {
      throw new SmartlicError({
        code: 'CONFIG',
        message: `the config file ${file} is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
        action: 'fix the syntax of the file',
        cause: e,
      });
    }
  }

  const fromEnv: Plain = {};
  for (const v of ENV_VARS) {
    const raw = env[v.name];
    if (raw === undefined || raw === '') continue;
    if (v.kind === 'int') {
      if (!/^-?\d+$/.test(raw.trim())) {
        problems.push(`${v.path} (${v.name}): expected a whole number${describeValue(raw)}`);
        continue;
      }
      setPath(fromEnv, v.path, Number(raw.trim()));
    } else if (v.kind === 'bool') {
      const b = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(b)) setPath(fromEnv, v.path, true);
      else if (['0', 'false', 'no', 'off'].includes(b)) setPath(fromEnv, v.path, false);
      else problems.push(`${v.path} (${v.name}): expected true or false${describeValue(raw)}`);
    } else setPath(fromEnv, v.path, raw);
  }

  const merged = deepMerge(deepMerge(fromFile, fromEnv), opts.overrides ?? {});
  if (opts.defaultDbPath !== undefined && getPath(merged, ['db', 'path']) === undefined) {
    setPath(merged, 'db.path', opts.defaultDbPath);
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.join('.') || '(top level)';
      const envName = ENV_VARS.find((v) => v.path === path)?.name;
      const shown = SECRET_PATHS.has(path) ? '' : describeValue(getPath(merged, issue.path));
      const msg =
        issue.code === 'unrecognized_keys'
          ? `unknown setting(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
          : issue.message;
      problems.push(`${path}${envName ? ` (${envName})` : ''}: ${msg}${shown}`);
    }
  }
  if (problems.length > 0) {
    throw new SmartlicError({
      code: 'CONFIG',
      message: `invalid configuration: ${problems.join('; ')}`,
      action: 'fix the settings named above (see the configuration table in README.md)',
      details: { problems },
    });
  }
  return result.data!;
}

function getPath(obj: unknown, path: (string | number)[]): unknown {
  let cur = obj;
  for (const k of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Plain)[k];
  }
  return cur;
}

/** Hides the password of a URL (`ftp://bob:…@h`) and anything past 80 characters. */
function describeValue(v: unknown): string {
  if (v === undefined || (typeof v === 'object' && v !== null)) return '';
  let text = typeof v === 'string' ? v : JSON.stringify(v);
  if (typeof v === 'string') {
    // user:password@ in anything URL-like, parseable or not.
    text = text.replace(/(\/\/[^/@\s:]*):[^/@\s]*@/g, '$1:[redacted]@');
    if (text.length > 80) text = `${text.slice(0, 77)}…`;
  }
  return ` (got ${JSON.stringify(text)})`;
}

/** The config as JSON-ready data with secrets replaced, for `smartlic config show`. */
export function redactedConfig(config: Config): Plain {
  const copy = JSON.parse(JSON.stringify(config)) as Plain;
  for (const p of SECRET_PATHS)
    if (getPath(copy, p.split('.')) !== undefined) setPath(copy, p, REDACTED);
  // The rest (a proxy URL's password, …) by the one redaction rule.
  return redact(copy) as Plain;
}
