/**
 * `smartlic cluster …`: inventory, assignment, registration, renewals and deregistration of UC
 * clusters (DOMAIN §7.4, §7.6, §7.9). Every change is a job; failures print one line with
 * Cisco's code and the recommended action.
 */
import { SmartlicError, toSmartlicError } from '../../core/errors.ts';
import { checkPublisher } from '../../core/services/doctor.service.ts';
import { resolveVaRef } from '../../core/services/virtual-accounts.service.ts';
import * as reports from '../../core/reports/index.ts';
import type { Cluster, ClusterType, Job } from '../../core/store/index.ts';
import {
  checkName,
  defineCommand,
  defineGroup,
  escapeControl,
  inputError,
  legacySubcommand,
  readSecret,
  refuseSecretFlag,
  type RunContext,
} from './common.ts';
import { clusterShow, daysLeftText } from './read-views.ts';
import { inventory, openRuntime, type Runtime } from './runtime.ts';
import type { CliCommand } from './types.ts';

const customerOpt = {
  customer: {
    type: 'string',
    value: 'C',
    help: 'the customer, when several have a cluster of that name',
  },
} as const;

function clusterJson(c: Cluster | undefined) {
  if (!c) return null;
  return {
    name: c.name,
    type: c.type,
    version: c.version,
    publisher: c.publisherAddress,
    status: c.status,
    registrationStatus: c.registrationStatus,
    authorizationStatus: c.authorizationStatus,
    licenseMode: c.licenseMode,
    transportMode: c.transportMode,
    licensing: c.licensing,
  };
}

function done(c: RunContext, job: Job, cluster?: Cluster, extra: Record<string, unknown> = {}) {
  if (c.out.json) {
    c.out.data({ cluster: clusterJson(cluster), job, ...extra });
    return 0;
  }
  c.out.print(
    escapeControl(
      `${cluster ? `${cluster.name}: ${cluster.status ?? cluster.registrationStatus ?? 'ok'}` : 'ok'} — job ${job.id} ${job.jobType} ${job.status}${job.statusInformation ? `: ${job.statusInformation}` : ''}`,
    ),
  );
  return 0;
}

async function withRuntime(c: RunContext, fn: (rt: Runtime) => Promise<number>): Promise<number> {
  const rt = await openRuntime(c);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

const add = defineCommand({
  name: 'cluster add',
  summary: 'add a cluster to the inventory (or update it); checks the publisher first',
  options: {
    customer: { type: 'string', value: 'C', help: 'the customer (created when new)' },
    name: { type: 'string', value: 'N', help: 'the cluster name' },
    type: { type: 'string', value: 'CUCM|CUC|CER', help: 'application type' },
    version: { type: 'string', value: 'V', help: 'release, e.g. 14.0.1.13900-155' },
    publisher: { type: 'string', value: 'ADDRESS', help: 'publisher host name or base URL' },
    'admin-user': { type: 'string', value: 'U', help: 'AXL / REST administrator user' },
    'password-env': {
      type: 'string',
      value: 'VAR',
      help: 'read the admin password from environment variable VAR',
    },
    'password-stdin': { type: 'boolean', help: 'read the admin password from standard input' },
    'no-check': { type: 'boolean', help: 'store without asking the publisher first' },
  },
  json: '{cluster, job, check: [{check, verdict, message}]}',
  description: `Before storing, asks the publisher for its smart license status with the given user and
password: it must be reachable, accept the credentials, be the publisher, and serve the smart
licensing API for the declared release (Cisco's licensing APIs do not report the release
itself). --no-check skips that (e.g. a publisher not reachable yet). 11.x and earlier are
recorded as licensed through PLM, without a check. The password is stored encrypted and never
taken from the command line. Names: at most 128 characters, no control characters.`,
  examples: [
    'CUCM_PW=… smartlic cluster add --customer "Stark Industries" --name stark-cucm-01 --type CUCM --version 14.0.1.13900-155 --publisher cucm-pub.stark.example --admin-user axladmin --password-env CUCM_PW',
  ],
  precheck: (args) =>
    refuseSecretFlag(
      args,
      ['password', 'admin-password'],
      'pass it with --password-env VAR or --password-stdin',
    ),
  async run({ values }, c) {
    const missing = (
      ['customer', 'name', 'type', 'version', 'publisher', 'admin-user'] as const
    ).filter((k) => !values[k]);
    if (missing.length > 0) {
      throw inputError(
        `cluster add needs ${missing.map((m) => `--${m}`).join(', ')}`,
        'see "smartlic cluster add --help"',
      );
    }
    checkName('customer name', values.customer!, '--customer');
    checkName('cluster name', values.name!, '--name');
    checkName('user name', values['admin-user']!, '--admin-user');
    checkName('publisher address', values.publisher!, '--publisher');
    checkName('version', values.version!, '--version');
    if (Boolean(values['password-env']) === Boolean(values['password-stdin'])) {
      throw inputError(
        'give the admin password with exactly one of --password-env VAR or --password-stdin',
        'see "smartlic cluster add --help"',
      );
    }
    const password = await readSecret(
      c,
      { env: values['password-env'], stdin: values['password-stdin'] },
      'admin password',
      { env: '--password-env', stdin: '--password-stdin' },
    );
    return withRuntime(c, async (rt) => {
      const type = values.type!.toUpperCase();
      let check: Awaited<ReturnType<typeof checkPublisher>> = [];
      if (!values['no-check'] && (type === 'CUCM' || type === 'CUC' || type === 'CER')) {
        check = await checkPublisher(rt.services.clients, {
          name: values.name!,
          type,
          version: values.version!,
          publisherAddress: values.publisher!,
          username: values['admin-user']!,
          password,
        });
        const bad = check.find((x) => x.verdict === 'fail');
        if (bad) {
          throw new SmartlicError({
            code: bad.code ?? 'UC1020',
            message: `${values.name} was not added: ${bad.message}`,
            action: `${bad.fix ?? 'check the publisher address, user and password'}; or add it anyway with --no-check`,
          });
        }
        if (!c.out.json) for (const x of check) c.out.note(`check: ${x.message}`);
      }
      const { job, cluster } = await rt.services.clusters.add({
        customer: values.customer!,
        name: values.name!,
        type: values.type!,
        version: values.version!,
        publisherAddress: values.publisher!,
        adminUsername: values['admin-user']!,
        adminPassword: password,
        requestedBy: c.by,
      });
      return done(c, job, cluster, { check });
    });
  },
});

const TYPES: readonly ClusterType[] = ['CUCM', 'CUC', 'CER'];

const list = defineCommand({
  name: 'cluster list',
  summary:
    'Cluster Summary: Name, Type, Version, Smart Account, Virtual Account, Status, Job Status',
  options: {
    ...customerOpt,
    va: { type: 'string', value: '<domain>/<va>', help: 'only clusters assigned to this VA' },
    type: { type: 'string', value: 'CUCM|CUC|CER', help: 'only this application type' },
    version: { type: 'string', value: 'V', help: 'only this release (prefix)' },
    failed: { type: 'boolean', help: 'only clusters whose last job or read failed' },
  },
  table: true,
  json: 'array of the Cluster Summary rows (core read model clusterSummary)',
  description: `HCM-F's Cluster Summary plus the effective authorization (* = by the timers since the last
good read) and the days left. On a narrow terminal the less important columns are left out;
--wide shows them all.`,
  examples: [
    'smartlic cluster list --customer "Stark Industries"',
    'smartlic cluster list --va nimbus-hcs.example.com/va-hcs-operational --json',
  ],
  async run({ values }, c) {
    let type: ClusterType | undefined;
    if (values.type !== undefined) {
      type = TYPES.find((t) => t.toLowerCase() === values.type!.toLowerCase());
      if (!type) {
        throw inputError(
          `--type must be CUCM, CUC or CER, not "${values.type}"`,
          'see "smartlic cluster list --help"',
        );
      }
    }
    return withRuntime(c, async (rt) => {
      const va = values.va ? await reports.resolveVirtualAccount(rt.db, values.va) : undefined;
      const rows = await reports.clusterSummary(rt.db, {
        now: rt.clock.now(),
        filter: {
          ...(values.customer ? { customer: values.customer } : {}),
          ...(va ? { virtualAccountId: va.id } : {}),
          ...(type ? { type } : {}),
          ...(values.version ? { version: values.version } : {}),
          ...(values.failed ? { failed: true } : {}),
        },
      });
      if (c.out.json) {
        c.out.data(rows);
        return 0;
      }
      if (rows.length === 0) {
        c.out.print(
          `no clusters${values.customer || values.va || type || values.version || values.failed ? ' match' : ''} in ${rt.config.db.path} (add one with \`smartlic cluster add\`)`,
        );
        return 0;
      }
      c.out.table(
        [
          'Name',
          'Type',
          'Version',
          { header: 'Smart Account', shrink: true },
          'Virtual Account',
          'Status',
          { header: 'Job Status', optional: true, dropOrder: 3 },
          { header: 'Authorization', optional: true, dropOrder: 5 },
          { header: 'Days left', optional: true, dropOrder: 4 },
          { header: 'Licensing', optional: true, dropOrder: 1 },
          { header: 'Customer', optional: true, dropOrder: 2 },
        ],
        rows.map((r) => [
          r.name,
          r.type,
          r.version ?? '',
          r.smartAccountDomain ?? '',
          r.virtualAccountName ?? '',
          r.status ?? '',
          r.jobStatus ?? '',
          `${r.authorization ?? ''}${r.lifecycle.source === 'timers' ? ' *' : ''}${r.reachable === false ? ' (unreachable)' : ''}`,
          daysLeftText(r),
          r.licensing,
          r.customer,
        ]),
      );
      if (rows.some((r) => r.lifecycle.source === 'timers')) {
        c.out.print('* by the timers since the last good read (see `smartlic cluster show NAME`)');
      }
      return 0;
    });
  },
});

const show = legacySubcommand(
  'cluster show',
  'Cluster detail: every date, days left, the last read and its error',
  `smartlic cluster show — Cluster detail

Usage: smartlic cluster show NAME [--customer C] [--json]

Every date, the days left, the last read and its error, and where the cluster draws its
licenses.

Options:
  --customer C  the customer, when several have a cluster of that name
  --json        print the detail as JSON
  -h, --help    show this help

Example:
  smartlic cluster show stark-cucm-01`,
  (args, ctx) => clusterShow(args, ctx, 'smartlic cluster show --help'),
);

const assign = defineCommand({
  name: 'cluster assign',
  summary: 'assign a cluster to a virtual account',
  args: 'NAME',
  arity: [1, 1],
  options: {
    ...customerOpt,
    va: { type: 'string', value: '<domain>/<va>', help: 'the VA (a VA name may contain "/")' },
  },
  json: '{cluster, job}',
  description: `SLMCT1007 if already assigned; SLM1014 if the VA has no license mode; SLMCT1006 / SLMCT1015
for versions / types that cannot use smart licensing.`,
  examples: [
    'smartlic cluster assign stark-cucm-01 --va nimbus-hcs.example.com/va-hcs-operational',
  ],
  async run({ values, positionals }, c) {
    if (!values.va) {
      throw inputError(
        'cluster assign needs --va <domain>/<va>',
        'see "smartlic cluster assign --help"',
      );
    }
    return withRuntime(c, async (rt) => {
      const r = await rt.services.clusters.assign({
        cluster: positionals[0]!,
        ...(values.customer ? { customer: values.customer } : {}),
        va: values.va!,
        requestedBy: c.by,
      });
      return done(c, r.job, r.cluster);
    });
  },
});

/** What `cluster register` will change, from the stored state and the product's own status. */
async function registerPreview(
  rt: Runtime,
  ref: { cluster: string; customer?: string },
  opts: { va?: string; force: boolean; exportControlled: boolean },
): Promise<{
  steps: string[];
  reboot: string | null;
  registeredNow: boolean;
  vaLabel: string;
  /** The registration will be refused (the service records why as a job). */
  blocked: boolean;
}> {
  const { cluster } = await rt.services.clusters.resolve(ref);
  const steps: string[] = [];
  let vaId = cluster.virtualAccountId;
  let label = '';
  if (vaId === null) {
    if (!opts.va) {
      throw new SmartlicError({
        code: 'SLMCT1011',
        message: `${cluster.name} is not assigned to a virtual account`,
        action: 'assign it first (`smartlic cluster assign`), or pass --va <domain>/<va>',
      });
    }
    const { account, va } = await resolveVaRef(rt.repos, opts.va);
    vaId = va.id;
    label = `${account.domain}/${va.name}`;
    steps.push(`assign ${cluster.name} to ${label}`);
  }
  const va = await rt.repos.virtualAccounts.getById(vaId);
  const account = va && (await rt.repos.smartAccounts.getById(va.smartAccountId));
  if (!va || !account) throw inputError(`the VA of ${cluster.name} is gone`, 'sync, then retry');
  label = `${account.domain}/${va.name}`;
  let reported: string | undefined;
  let registeredNow = false;
  let wasRegistered = cluster.registeredAt !== null || cluster.registrationStatus === 'Registered';
  let statusNote = '';
  try {
    const st = await (await rt.services.clients.uc(cluster, rt.repos)).getStatus();
    reported = st.licenseMode;
    registeredNow = st.registration.status === 'Registered';
    wasRegistered ||= registeredNow || st.registration.status === 'Registration Expired';
    statusNote = `the product reports: registration ${st.registration.status}${st.registration.virtualAccount ? ` (to ${st.registration.virtualAccount})` : ''}, mode ${reported ?? 'not reported'}`;
  } catch (e) {
    statusNote = `the product's status could not be read (${toSmartlicError(e).code}); the registration will try anyway`;
  }
  steps.unshift(statusNote);
  const mode = va.licenseMode;
  let reboot: string | null = null;
  if (mode) {
    const from = reported ?? cluster.licenseMode ?? undefined;
    if (from === mode) steps.push(`license mode: stays ${mode}`);
    else {
      steps.push(`license mode: set ${from ?? 'unknown'} → ${mode}`);
      if (mode !== 'Enterprise' && (from === undefined || from === 'Enterprise')) {
        reboot = `${cluster.name} ${from ? 'is in Enterprise mode' : 'has not reported its mode'}: switching to ${mode} restarts the publisher`;
      }
    }
  } else steps.push(`license mode: the VA has none (SLM1014: set it with \`smartlic va mode\`)`);
  const t = await rt.services.virtualAccounts.effectiveTransport(account, va);
  steps.push(
    registeredNow
      ? 'transport: left unchanged (the product is registered; it refuses changes then)'
      : `transport: set to ${t.mode}${t.mode === 'Proxy' ? ` ${t.proxyHost ?? ''}:${t.proxyPort ?? ''}` : t.mode === 'Satellite' ? ` ${t.satelliteUrl ?? ''}` : ''}`,
  );
  const tok = await rt.repos.tokens.findValid(va.id, {
    exportControlled: opts.exportControlled,
    minRemainingMs: 86_400_000,
  });
  steps.push(
    tok
      ? `token: use token ${tok.token.id} on file (${opts.exportControlled ? 'Allowed' : 'Not Allowed'})`
      : `token: create one in ${label} (${opts.exportControlled ? 'Allowed' : 'Not Allowed'})`,
  );
  steps.push(
    wasRegistered
      ? `register the publisher with force (it ${registeredNow ? 'is registered now: re-registration' : 'was registered before'})`
      : 'register the publisher',
  );
  steps.push('read the status back and require Registered');
  return { steps, reboot, registeredNow, vaLabel: label, blocked: mode === null };
}

async function confirm(c: RunContext, question: string): Promise<boolean> {
  const stdin = c.io.stdin as NodeJS.ReadStream;
  if (!stdin.isTTY || !c.io.isTty) return false;
  c.io.stderr.write(`${question} [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    stdin.once('data', (d) => resolve(String(d)));
  });
  stdin.pause();
  return /^y(es)?$/i.test(answer.trim());
}

const register = defineCommand({
  name: 'cluster register',
  summary: 'register the publisher with a token (says what it will change first)',
  args: 'NAME',
  arity: [1, 1],
  options: {
    ...customerOpt,
    va: {
      type: 'string',
      value: '<domain>/<va>',
      help: 'assign to this VA first (when unassigned)',
    },
    force: { type: 'boolean', help: 're-register a product that is registered now' },
    'export-controlled': { type: 'boolean', help: 'use an export-controlled ("Allowed") token' },
    'dry-run': { type: 'boolean', help: 'print the steps and change nothing' },
    yes: { type: 'boolean', help: 'confirm a change that restarts the publisher' },
  },
  json: '{cluster, job, steps} (with --dry-run: {steps, reboot, registeredNow})',
  description: `HCM-F's registration: set the app's license mode and transport, get or create a valid token,
register the publisher, read the status back. It first reads the product's status and prints
what it will change (on stderr). A product registered now is re-registered only with --force;
a mode change that restarts the publisher (Enterprise → HCS) needs --yes (or a "y" on a
terminal).`,
  examples: [
    'smartlic cluster register stark-cucm-01 --va nimbus-hcs.example.com/va-hcs-operational --dry-run',
    'smartlic cluster register stark-cucm-01 --yes',
  ],
  async run({ values, positionals }, c) {
    const ref = {
      cluster: positionals[0]!,
      ...(values.customer ? { customer: values.customer } : {}),
    };
    return withRuntime(c, async (rt) => {
      const force = values.force === true;
      const exportControlled = values['export-controlled'] === true;
      const p = await registerPreview(rt, ref, {
        ...(values.va ? { va: values.va } : {}),
        force,
        exportControlled,
      });
      if (values['dry-run']) {
        if (c.out.json)
          c.out.data({ steps: p.steps, reboot: p.reboot, registeredNow: p.registeredNow });
        else {
          c.out.print(`cluster register ${ref.cluster} would (nothing changed):`);
          p.steps.forEach((s, i) => c.out.print(escapeControl(`  ${i + 1}. ${s}`)));
          if (p.reboot) c.out.print(escapeControl(`  needs confirmation: ${p.reboot} (--yes)`));
        }
        return 0;
      }
      if (p.registeredNow && !force) {
        throw new SmartlicError({
          code: 'ALREADY_REGISTERED',
          message: `${ref.cluster} is registered now (to ${p.vaLabel}); nothing was changed`,
          action: 'pass --force to re-register it (a new registration with a token), or leave it',
        });
      }
      if (!c.out.json && !p.blocked) {
        c.out.note(`cluster register ${ref.cluster}:`);
        p.steps.forEach((s, i) => c.out.note(escapeControl(`  ${i + 1}. ${s}`)));
      }
      if (p.reboot && !values.yes && !(await confirm(c, `${p.reboot}. Go ahead?`))) {
        throw inputError(
          `${p.reboot}; nothing was changed`,
          'confirm with --yes (or see --dry-run)',
        );
      }
      const r = await rt.services.clusters.register({
        ...ref,
        ...(values.va ? { va: values.va } : {}),
        force,
        exportControlled,
        requestedBy: c.by,
      });
      return done(c, r.job, r.cluster, { steps: p.steps });
    });
  },
});

function simple(
  sub: 'unassign' | 'deregister' | 'renew-auth' | 'renew-id',
  summary: string,
  description: string,
) {
  return defineCommand({
    name: `cluster ${sub}`,
    summary,
    args: 'NAME',
    arity: [1, 1],
    options: { ...customerOpt },
    json: '{cluster, job}',
    description,
    examples: [`smartlic cluster ${sub} stark-cucm-01`],
    async run({ values, positionals }, c) {
      return withRuntime(c, async (rt) => {
        const s = rt.services.clusters;
        const ref = {
          cluster: positionals[0]!,
          ...(values.customer ? { customer: values.customer } : {}),
          requestedBy: c.by,
        };
        const r =
          sub === 'unassign'
            ? await s.unassign(ref)
            : sub === 'deregister'
              ? await s.deregister(ref)
              : sub === 'renew-auth'
                ? await s.renewAuthorization(ref)
                : await s.renewRegistration(ref);
        return done(c, r.job, r.cluster);
      });
    },
  });
}

const remove = defineCommand({
  name: 'cluster remove',
  summary: 'remove a cluster from the inventory (nothing changes on the product)',
  args: 'NAME',
  arity: [1, 1],
  options: { ...customerOpt },
  json: '{removed: name, job}',
  description: `Forgets the cluster, its stored status and password. Refused (CLUSTER_IN_USE) while it is
assigned to a virtual account: \`smartlic cluster unassign NAME\` deregisters and unassigns it.`,
  examples: ['smartlic cluster remove stark-cucm-02 --customer "Stark Industries"'],
  async run({ values, positionals }, c) {
    return withRuntime(c, async (rt) => {
      const r = await inventory(rt).removeCluster({
        cluster: positionals[0]!,
        ...(values.customer ? { customer: values.customer } : {}),
        requestedBy: c.by,
      });
      if (c.out.json) c.out.data({ removed: positionals[0], job: r.job });
      else c.out.print(escapeControl(`${r.job.statusInformation ?? 'removed'} — job ${r.job.id}`));
      return 0;
    });
  },
});

const autoRegister = defineCommand({
  name: 'cluster auto-register',
  summary: "configure or run auto-registration to an account's operational VA",
  options: {
    sa: {
      type: 'string',
      value: 'DOMAIN',
      help: 'configure: new clusters auto-register to this account',
    },
    'operational-va': {
      type: 'string',
      value: 'VA',
      help: 'the operational VA (default: the one marked so)',
    },
    run: { type: 'boolean', help: 'auto-register new clusters now' },
  },
  json: '{job, moved, report} / {report}',
  description: `--sa: new clusters (unassigned, 12.x+) auto-register to that account's operational VA at each
sync, failures are retried; changing the VA moves the auto-registered clusters. --run: do it now.`,
  examples: [
    'smartlic cluster auto-register --sa nimbus-hcs.example.com --operational-va va-hcs-operational',
    'smartlic cluster auto-register --run',
  ],
  async run({ values }, c) {
    if (!values.sa && !values.run) {
      throw inputError(
        'cluster auto-register needs --sa DOMAIN or --run',
        'see "smartlic cluster auto-register --help"',
      );
    }
    return withRuntime(c, async (rt) => {
      const result: Record<string, unknown> = {};
      if (values.sa) {
        const r = await rt.services.clusters.configureAutoRegistration({
          domain: values.sa,
          ...(values['operational-va'] ? { operationalVa: values['operational-va'] } : {}),
          requestedBy: c.by,
        });
        Object.assign(result, { job: r.job, moved: r.moved, movedReport: r.report ?? null });
        if (!c.out.json) {
          done(c, r.job);
          if (r.moved.length > 0) {
            c.out.print(
              escapeControl(
                `moved from the old operational VA: ${r.moved.join(', ')}; auto-registered: ${r.report?.registered.join(', ') || 'none'}${r.report?.failed.length ? `; failed: ${r.report.failed.map((f) => `${f.cluster} (${f.code})`).join(', ')}` : ''}`,
              ),
            );
          }
        }
      }
      let code = 0;
      if (values.run) {
        const rep = await rt.services.clusters.autoRegister({ requestedBy: c.by });
        if (!rep.configured) {
          throw inputError(
            'auto-registration is not configured',
            'run `smartlic cluster auto-register --sa DOMAIN [--operational-va VA]` first',
          );
        }
        result.report = rep;
        if (!c.out.json) {
          c.out.print(
            escapeControl(
              `auto-registration to ${rep.virtualAccount}: ${rep.registered.length} registered, ${rep.failed.length} failed, ${rep.skipped.length} skipped`,
            ),
          );
          for (const f of rep.failed)
            c.out.print(escapeControl(`  failed  ${f.cluster}: ${f.code}: ${f.message}`));
          for (const s of rep.skipped)
            c.out.print(escapeControl(`  skipped ${s.cluster}: ${s.reason}`));
        }
        code = rep.failed.length > 0 ? 1 : 0;
      }
      if (c.out.json) c.out.data(result);
      return code;
    });
  },
});

export const clusterCommand: CliCommand = defineGroup({
  name: 'cluster',
  summary:
    'UC clusters: add, list, assign, unassign, register, deregister, renew-auth, renew-id, remove',
  commands: [
    add,
    list,
    show,
    assign,
    simple(
      'unassign',
      'unassign a cluster from its VA (deregisters a registered publisher first)',
      'SLMCT1011 if it is not assigned.',
    ),
    register,
    simple(
      'deregister',
      'deregister the publisher from smart licensing',
      'The cluster stays assigned.',
    ),
    simple(
      'renew-auth',
      'renew the authorization now',
      'Asks the product to renew its authorization with CSSM.',
    ),
    simple(
      'renew-id',
      'renew the registration (ID certificate) now',
      'Asks the product to renew its ID certificate.',
    ),
    remove,
    autoRegister,
  ],
});
