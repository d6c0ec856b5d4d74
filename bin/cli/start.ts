/**
 * `smartlic start` (what `npm start` runs): the main job. With the embedded emulator (the
 * default) it starts the emulator, provisions its smart accounts and satellite local
 * accounts, imports its cluster inventory, runs a first full sync and prints a summary; then
 * it keeps syncing on the configured schedule until SIGINT/SIGTERM. Against real CSSM
 * (`SMARTLIC_EMULATOR=false`) it syncs the accounts already provisioned and schedules.
 */
import { z } from 'zod';
import { SmartlicError } from '../../core/errors.ts';
import { SyncScheduler, alertEvaluationScheduler } from '../../core/services/scheduler.ts';
import type { SyncOutcome } from '../../core/services/index.ts';
import type { RunningEmulator } from '../../emulator/index.ts';
import { defineCommand, escapeControl, plural, singleCommand } from './common.ts';
import { outcomeJson } from './sync.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { rebuildSiteAfterSync } from './site.ts';
import type { CliCommand } from './types.ts';

const USAGE = `Runs the main job. With the embedded emulator (default; SMARTLIC_EMULATOR=false turns it off)
it starts the emulator, provisions its accounts, imports its clusters, syncs, prints a summary,
then syncs on the schedule (sync.cron, default every 24 h) until interrupted.`;

const REQUESTED_BY = 'start';

// The emulator's inventory (GET /__emulator/state, an emulator extension): only what the
// import needs, parsed at the edge.
const emulatorState = z.object({
  smartAccounts: z.array(
    z.object({
      domain: z.string(),
      virtualAccounts: z.array(
        z.object({
          name: z.string(),
          role: z.string().nullable().optional(),
          licenseMode: z.enum(['Enterprise', 'HCS', 'HCS-LE']).nullable().optional(),
        }),
      ),
    }),
  ),
  satellites: z.array(
    z.object({
      localAccounts: z.array(
        z.object({ name: z.string(), smartAccount: z.string(), virtualAccount: z.string() }),
      ),
    }),
  ),
  clusters: z.array(
    z.object({
      name: z.string(),
      customer: z.string(),
      type: z.string(),
      version: z.string(),
      licenseMode: z.enum(['Enterprise', 'HCS', 'HCS-LE']),
      baseUrl: z.string(),
      credentials: z.object({ username: z.string(), password: z.string() }),
      nodes: z.array(z.object({ name: z.string(), role: z.string() })).default([]),
      pool: z
        .object({
          via: z.string(),
          smartAccount: z.string().optional(),
          virtualAccount: z.string().optional(),
          localAccount: z.string().optional(),
        })
        .nullable()
        .optional(),
    }),
  ),
});
type EmulatorState = z.infer<typeof emulatorState>;

const startCmd = defineCommand({
  name: 'start',
  summary: 'the main job: sync on the embedded emulator (or real CSSM) and on a schedule',
  options: { once: { type: 'boolean', help: 'exit after the first sync instead of staying up' } },
  json: "array of the first sync's outcomes (as `sync --json`); the other lines go to stderr",
  description: USAGE,
  examples: ['npm start', 'SMARTLIC_EMULATOR=false smartlic start --once'],
  async run({ values }, ctx) {
    const once = values.once === true;
    const rt = await openRuntime(ctx);
    let emu: RunningEmulator | undefined;
    let scheduler: SyncScheduler | undefined;
    let evaluator: SyncScheduler | undefined;
    // With --json the human lines go to stderr and stdout gets the first sync's outcomes.
    const out = (s: string) =>
      ctx.out.json ? ctx.out.note(escapeControl(s)) : ctx.out.print(escapeControl(s));
    try {
      if (rt.config.emulator.embedded) {
        // Loaded only when used: against real CSSM the emulator stays out of the process.
        const { startEmulator } = await import('../../emulator/index.ts');
        emu = await startEmulator({
          port: rt.config.emulator.port,
          scenario: rt.config.emulator.scenario,
          seed: rt.config.emulator.seed,
          // The lab's simulated clock starts at smartlic's own now, so dates agree on both sides.
          now: rt.clock.now(),
        });
        out(`emulator: ${emu.baseUrl} (scenario ${rt.config.emulator.scenario})`);
        // The device list lives under its own API base (DOMAIN §2); the lab's is known only now.
        rt.config.cssm.devicesApiBase = emu.ready.cloud.devicesApiBase;
        await provisionFromEmulator(rt, emu, out);
      }
      const outcomes = await rt.services.sync.syncAll({ requestedBy: REQUESTED_BY, full: true });
      printSummary(outcomes, out);
      await rebuildSiteAfterSync(rt.config, rt.logger);
      await printAttention(rt, out);
      if (ctx.out.json) ctx.out.data(outcomes.map(outcomeJson));
      if (!emu && outcomes.length === 0) {
        out('No accounts are provisioned yet: add one with `smartlic account add` (see --help).');
      }
      const failed = outcomes.filter((o) => o.status === 'Failed').length;
      if (once) return failed > 0 ? 1 : 0;

      if (rt.config.sync.enabled) {
        scheduler = new SyncScheduler({
          cron: rt.config.sync.cron,
          timezone: rt.config.sync.timezone,
          logger: rt.logger,
          run: async () => {
            const round = await rt.services.sync.syncAll({ requestedBy: 'scheduler' });
            printSummary(round, out);
            await rebuildSiteAfterSync(rt.config, rt.logger);
          },
        });
        scheduler.start();
        out(
          `scheduled sync: "${rt.config.sync.cron}" (${rt.config.sync.timezone}), next ${scheduler.nextRun()?.toISOString() ?? 'never'}`,
        );
      }
      evaluator = alertEvaluationScheduler({
        cron: rt.config.alerts.evaluateCron,
        enabled: rt.config.alerts.enabled,
        timezone: rt.config.sync.timezone,
        evaluateAll: () => rt.services.alerts.evaluateAll(),
        logger: rt.logger,
      });
      if (evaluator) {
        evaluator.start();
        out(
          `alert evaluation: "${rt.config.alerts.evaluateCron}" (${rt.config.sync.timezone}), next ${evaluator.nextRun()?.toISOString() ?? 'never'}`,
        );
      }
      const stopped = waitForSignal();
      out('smartlic is running; press Ctrl-C to stop.');
      await stopped;
      out('stopping…');
      return 0;
    } finally {
      await scheduler?.stop();
      await evaluator?.stop();
      await rt.close();
      await emu?.close();
    }
  },
});

export const startCommand: CliCommand = singleCommand(startCmd);

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/**
 * Provisions every account the emulator offers (cloud SAs and satellite local accounts), then
 * imports its customers and clusters the way an operator would with `cluster add` and
 * `cluster assign`. Idempotent: a second start updates what the first stored.
 */
async function provisionFromEmulator(rt: Runtime, emu: RunningEmulator, out: (s: string) => void) {
  const { services, repos } = rt;
  for (const c of emu.ready.clients) {
    const satellite = c.for === 'onprem';
    const r = await services.provision.provisionSmartAccount({
      source: satellite ? 'satellite' : 'cssm',
      domain: c.account,
      ...(satellite ? { localAccount: c.account } : {}),
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      tokenUrl: satellite ? emu.ready.onprem.tokenUrl : emu.ready.cloud.tokenUrl,
      apiBase: satellite ? emu.ready.onprem.apiBase : emu.ready.cloud.apiBase,
      requestedBy: REQUESTED_BY,
      sync: false,
    });
    out(
      `provisioned ${satellite ? 'satellite local account' : 'smart account'} ${c.account}: ${r.virtualAccounts.length} VA(s)`,
    );
  }

  const res = await fetch(`${emu.baseUrl}/__emulator/state`);
  const parsed = emulatorState.safeParse(await res.json());
  if (!parsed.success) {
    throw new SmartlicError({
      code: 'EMULATOR',
      message: `the emulator's inventory has an unexpected shape at ${parsed.error.issues[0]?.path.join('.') ?? '?'}`,
      action: 'run the emulator shipped with this version of smartlic',
    });
  }
  const state: EmulatorState = parsed.data;

  // VA roles and license modes live in smartlic (CSSM has no such field): take the lab's.
  for (const sa of state.smartAccounts) {
    const account = await repos.smartAccounts.getByDomain(sa.domain);
    if (!account) continue;
    for (const v of sa.virtualAccounts) {
      const va = await repos.virtualAccounts.getByName(account.id, v.name);
      if (!va) continue;
      if (v.role === 'ordered' || v.role === 'operational')
        await repos.virtualAccounts.setRole(va.id, v.role);
      if (
        v.licenseMode &&
        va.licenseMode !== v.licenseMode &&
        (await repos.clusters.countByVirtualAccount(va.id)) === 0
      ) {
        await services.virtualAccounts.setLicenseMode({
          domain: sa.domain,
          va: v.name,
          mode: v.licenseMode,
          requestedBy: REQUESTED_BY,
        });
      }
    }
  }

  // A satellite local account serves the cloud VA it maps to; it takes that VA's mode.
  for (const sat of state.satellites) {
    for (const la of sat.localAccounts) {
      const cloudVa = state.smartAccounts
        .find((sa) => sa.domain === la.smartAccount)
        ?.virtualAccounts.find((v) => v.name === la.virtualAccount);
      const account = await repos.smartAccounts.getByDomain(la.name);
      const va = account
        ? await repos.virtualAccounts.getByName(account.id, la.virtualAccount)
        : undefined;
      if (!account || !va || !cloudVa?.licenseMode || va.licenseMode === cloudVa.licenseMode)
        continue;
      if ((await repos.clusters.countByVirtualAccount(va.id)) > 0) continue;
      await services.virtualAccounts.setLicenseMode({
        domain: la.name,
        va: la.virtualAccount,
        mode: cloudVa.licenseMode,
        requestedBy: REQUESTED_BY,
      });
    }
  }

  let added = 0;
  let assigned = 0;
  for (const c of state.clusters) {
    const customer = await repos.customers.getByName(c.customer);
    let cluster = customer ? await repos.clusters.getByName(customer.id, c.name) : undefined;
    // CSSM lists a product instance by its publisher's host name: the lab's node name.
    const publisherHostname = c.nodes.find((n) => n.role === 'publisher')?.name;
    if (!cluster || cluster.publisherAddress !== c.baseUrl) {
      ({ cluster } = await services.clusters.add({
        customer: c.customer,
        name: c.name,
        type: c.type,
        version: c.version,
        publisherAddress: c.baseUrl,
        ...(publisherHostname ? { publisherHostname } : {}),
        adminUsername: c.credentials.username,
        adminPassword: c.credentials.password,
        requestedBy: REQUESTED_BY,
      }));
      added++;
    }
    const pool = c.pool;
    if (!pool) continue;
    const ref =
      pool.localAccount !== undefined
        ? `${pool.localAccount}/${pool.virtualAccount ?? ''}`
        : `${pool.smartAccount ?? ''}/${pool.virtualAccount ?? ''}`;
    if (cluster.virtualAccountId === null) {
      try {
        await services.clusters.assign({
          cluster: c.name,
          customer: c.customer,
          va: ref,
          requestedBy: REQUESTED_BY,
          status: 'Manually Registered',
        });
        assigned++;
      } catch (e) {
        // A lab cluster the rules refuse (e.g. VA without a license mode) stays unassigned;
        // the job records why, and the summary shows it.
        rt.logger.warn('could not assign imported cluster', { cluster: c.name, error: e });
      }
    }
  }
  out(
    `imported ${state.clusters.length} cluster(s) from the emulator (${added} added, ${assigned} assigned)`,
  );
}

function printSummary(outcomes: SyncOutcome[], out: (s: string) => void): void {
  for (const o of outcomes) {
    const c = o.counts;
    if (o.status === 'Completed') {
      out(
        `sync ${o.domain}: ok in ${o.durationMs} ms — ${c.virtualAccounts} VA, ${plural(c.licenses, 'license')}, ${plural(c.tokens, 'token')}, ${plural(c.clusters, 'cluster')} (${c.clustersRead} read)${o.clusterErrors.length ? `, ${o.clusterErrors.length} cluster error(s)` : ''}${o.satellite?.overdue ? ', satellite sync OVERDUE' : ''}`,
      );
    } else {
      out(
        `sync ${o.domain}: FAILED — ${o.error?.code ?? ''}: ${o.error?.message ?? ''}${o.error?.action ? ` — ${o.error.action}` : ''}`,
      );
    }
  }
}

/**
 * What an operator should look at after a sync: the open alerts the sync raised (core's alert
 * rules, evaluated after every sync), most severe first. Muted ones are counted, not listed.
 */
async function printAttention(rt: Runtime, out: (s: string) => void) {
  const open = await rt.services.alerts.list();
  const shown = open.filter((a) => !a.mute);
  const muted = open.length - shown.length;
  const mutedText = muted ? ` (+${muted} muted)` : '';
  if (shown.length === 0) {
    out(`needs attention: nothing${mutedText}`);
    return;
  }
  out(
    `needs attention (${shown.length} open alert${shown.length === 1 ? '' : 's'}${mutedText}; smartlic alerts):`,
  );
  for (const a of shown) out(`  - ${a.severity.padEnd(8)} ${a.title}`);
}
