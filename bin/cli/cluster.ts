/**
 * `smartlic cluster …`: inventory, assignment, registration, renewals and deregistration of UC
 * clusters (DOMAIN §7.4, §7.6, §7.9). Every change is a job; failures print one line with
 * Cisco's code and the recommended action.
 */
import { SmartlicError } from '../../core/errors.ts';
import { checkPublisher } from '../../core/services/doctor.service.ts';
import type { Cluster, Job } from '../../core/store/index.ts';
import {
  checkName,
  defineCommand,
  defineGroup,
  escapeControl,
  inputError,
  readSecret,
  refuseSecretFlag,
  type RunContext,
} from './common.ts';
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
    'publisher-hostname': {
      type: 'string',
      value: 'HOST',
      help: "the name CSSM lists the product instance by (default: the publisher address's host; Emergency Responder is found in CSSM by it)",
    },
    'axl-schema': {
      type: 'string',
      value: '12.5|14.0|15.0',
      help: 'CUCM: the AXL schema to speak (default: the newest the release serves)',
    },
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
          axlSchemaVersion: values['axl-schema'] ?? null,
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
        ...(values['publisher-hostname']
          ? { publisherHostname: values['publisher-hostname'] }
          : {}),
        ...(values['axl-schema'] ? { axlSchemaVersion: values['axl-schema'] } : {}),
        requestedBy: c.by,
      });
      return done(c, job, cluster, { check });
    });
  },
});

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
  },
  json: '{cluster, job, steps} (with --dry-run: {steps, registeredNow, blockedBy})',
  description: `HCM-F's registration: check the product's license mode against the VA's (no interface sets
a mode: where a change is really needed the job fails naming the COP file, the publisher and
the reboot), set the transport, get or create a valid token (export control as asked), register
the publisher, read the status back. It first reads the product's status and prints what it
will change (on stderr); --dry-run prints the steps and changes nothing. A product registered
now is re-registered only with --force. Emergency Responder registers through its admin form
and is confirmed by CSSM's device list.`,
  examples: [
    'smartlic cluster register stark-cucm-01 --va nimbus-hcs.example.com/va-hcs-operational --dry-run',
    'smartlic cluster register stark-cucm-01',
  ],
  async run({ values, positionals }, c) {
    const ref = {
      cluster: positionals[0]!,
      ...(values.customer ? { customer: values.customer } : {}),
    };
    return withRuntime(c, async (rt) => {
      const force = values.force === true;
      const exportControlled = values['export-controlled'] === true;
      const p = await rt.services.clusters.planRegistration(ref, {
        ...(values.va ? { va: values.va } : {}),
        force,
        exportControlled,
      });
      const blockedBy = p.blockedBy
        ? { code: p.blockedBy.code, message: p.blockedBy.message, action: p.blockedBy.action }
        : null;
      if (values['dry-run']) {
        if (c.out.json) c.out.data({ steps: p.steps, registeredNow: p.registeredNow, blockedBy });
        else {
          c.out.print(`cluster register ${ref.cluster} would (nothing changed):`);
          p.steps.forEach((s, i) => c.out.print(escapeControl(`  ${i + 1}. ${s}`)));
          if (blockedBy)
            c.out.print(escapeControl(`  refused: ${blockedBy.code}: ${blockedBy.message}`));
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
      if (!c.out.json && !p.blockedBy) {
        c.out.note(`cluster register ${ref.cluster}:`);
        p.steps.forEach((s, i) => c.out.note(escapeControl(`  ${i + 1}. ${s}`)));
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
