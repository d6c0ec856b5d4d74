/**
 * `smartlic cluster …`: inventory, assignment, registration, renewals and deregistration of UC
 * clusters (DOMAIN §7.4, §7.6, §7.9). Every change is a job; failures print one line with
 * Cisco's code and the recommended action.
 */
import type { Job } from '../../core/store/index.ts';
import type { Cluster } from '../../core/store/index.ts';
import {
  inputError,
  parseFlags,
  readSecret,
  refuseSecretFlag,
  requester,
  subcommandVerb,
} from './common.ts';
import { clusterList, clusterShow } from './read-views.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import type { CliCommand, CliContext } from './types.ts';

const USAGE = `Usage: smartlic cluster add --customer C --name N --type CUCM|CUC|CER --version V
                            --publisher ADDRESS --admin-user U
                            (--password-env VAR | --password-stdin)
       smartlic cluster list [--customer C] [--va <domain>/<va>] [--type T] [--version V]
                             [--failed] [--json]
       smartlic cluster show NAME [--customer C] [--json]
       smartlic cluster assign NAME --va <domain>/<va> [--customer C]
       smartlic cluster unassign NAME [--customer C]
       smartlic cluster register NAME [--va <domain>/<va>] [--force] [--export-controlled]
                                 [--customer C]
       smartlic cluster deregister NAME [--customer C]
       smartlic cluster renew-auth NAME [--customer C]
       smartlic cluster renew-id NAME [--customer C]
       smartlic cluster auto-register --sa DOMAIN [--operational-va VA]
       smartlic cluster auto-register --run

add            add a cluster to the inventory (or update it). The publisher is a host name or
               its base URL; the admin (AXL / REST) password comes from an environment
               variable or standard input, never the command line. Stored encrypted.
               11.x and earlier are recorded as licensed through PLM.
list           Cluster Summary: Name, Type, Version, Smart Account, Virtual Account, Status,
               Job Status (the cluster's own latest job), the authorization state as of now
               (timers run on when a product stops answering) and days left; Licensing
show           Cluster detail: every date, days left, the last read and its error, and where
               the state comes from
assign         assign to a virtual account (SLMCT1007 if already assigned; SLM1014 if the VA
               has no license mode; SLMCT1006 / SLMCT1015 for versions / types that cannot)
unassign       unassign (deregisters a registered publisher first; SLMCT1011 if unassigned)
register       set the app's license mode and transport, get or create a valid token, register
               the publisher (force when it was registered before), read the status back.
               --va assigns first; --export-controlled asks for an "Allowed" token
deregister     deregister the publisher from smart licensing
renew-auth     renew the authorization now
renew-id       renew the registration (ID certificate) now
auto-register  --sa: new clusters (unassigned, 12.x+) auto-register to that account's
               operational VA at each sync, failures are retried; --run: do it now`;

const HELP = 'smartlic cluster --help';

function name(positionals: string[], verb: string): string {
  const n = positionals[0];
  if (!n) throw inputError(`cluster ${verb} needs the cluster name`, `see "${HELP}"`);
  if (positionals.length > 1)
    throw inputError(`unexpected argument "${positionals[1]}"`, `see "${HELP}"`);
  return n;
}

function done(ctx: CliContext, job: Job, cluster?: Cluster): number {
  ctx.io.stdout.write(
    `${cluster ? `${cluster.name}: ${cluster.status ?? cluster.registrationStatus ?? 'ok'}` : 'ok'} — job ${job.id} ${job.jobType} ${job.status}${job.statusInformation ? `: ${job.statusInformation}` : ''}\n`,
  );
  return 0;
}

async function withRuntime(ctx: CliContext, fn: (rt: Runtime) => Promise<number>): Promise<number> {
  const rt = await openRuntime(ctx);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

async function run(sub: string | undefined, args: string[], ctx: CliContext): Promise<number> {
  const by = requester();
  const customer = { customer: { type: 'string' } } as const;
  switch (sub ?? '') {
    case 'add': {
      refuseSecretFlag(
        args,
        ['password', 'admin-password'],
        'pass it with --password-env VAR or --password-stdin',
      );
      const { values, positionals } = parseFlags(
        args,
        {
          ...customer,
          name: { type: 'string' },
          type: { type: 'string' },
          version: { type: 'string' },
          publisher: { type: 'string' },
          'admin-user': { type: 'string' },
          'password-env': { type: 'string' },
          'password-stdin': { type: 'boolean' },
        },
        HELP,
      );
      if (positionals.length > 0)
        throw inputError(`unexpected argument "${positionals[0]}"`, `see "${HELP}"`);
      const missing = (
        ['customer', 'name', 'type', 'version', 'publisher', 'admin-user'] as const
      ).filter((k) => !values[k]);
      if (missing.length > 0) {
        throw inputError(
          `cluster add needs ${missing.map((m) => `--${m}`).join(', ')}`,
          `see "${HELP}"`,
        );
      }
      const password = await readSecret(
        ctx,
        { env: values['password-env'], stdin: values['password-stdin'] },
        'admin password',
        { env: '--password-env', stdin: '--password-stdin' },
      );
      return withRuntime(ctx, async (rt) => {
        const { job, cluster } = await rt.services.clusters.add({
          customer: values.customer!,
          name: values.name!,
          type: values.type!,
          version: values.version!,
          publisherAddress: values.publisher!,
          adminUsername: values['admin-user']!,
          adminPassword: password,
          requestedBy: by,
        });
        return done(ctx, job, cluster);
      });
    }
    case 'list':
      return clusterList(args, ctx, HELP);
    case 'show':
      return clusterShow(args, ctx, HELP);
    case 'assign': {
      const { values, positionals } = parseFlags(
        args,
        { ...customer, va: { type: 'string' } },
        HELP,
      );
      const n = name(positionals, 'assign');
      if (!values.va) throw inputError('cluster assign needs --va <domain>/<va>', `see "${HELP}"`);
      return withRuntime(ctx, async (rt) => {
        const r = await rt.services.clusters.assign({
          cluster: n,
          ...(values.customer ? { customer: values.customer } : {}),
          va: values.va!,
          requestedBy: by,
        });
        return done(ctx, r.job, r.cluster);
      });
    }
    case 'register': {
      const { values, positionals } = parseFlags(
        args,
        {
          ...customer,
          va: { type: 'string' },
          force: { type: 'boolean' },
          'export-controlled': { type: 'boolean' },
        },
        HELP,
      );
      const n = name(positionals, 'register');
      return withRuntime(ctx, async (rt) => {
        const r = await rt.services.clusters.register({
          cluster: n,
          ...(values.customer ? { customer: values.customer } : {}),
          ...(values.va ? { va: values.va } : {}),
          force: values.force === true,
          exportControlled: values['export-controlled'] === true,
          requestedBy: by,
        });
        return done(ctx, r.job, r.cluster);
      });
    }
    case 'unassign':
    case 'deregister':
    case 'renew-auth':
    case 'renew-id': {
      const { values, positionals } = parseFlags(args, { ...customer }, HELP);
      const n = name(positionals, sub ?? '');
      return withRuntime(ctx, async (rt) => {
        const c = rt.services.clusters;
        const ref = {
          cluster: n,
          ...(values.customer ? { customer: values.customer } : {}),
          requestedBy: by,
        };
        const r =
          sub === 'unassign'
            ? await c.unassign(ref)
            : sub === 'deregister'
              ? await c.deregister(ref)
              : sub === 'renew-auth'
                ? await c.renewAuthorization(ref)
                : await c.renewRegistration(ref);
        return done(ctx, r.job, r.cluster);
      });
    }
    case 'auto-register': {
      const { values, positionals } = parseFlags(
        args,
        { sa: { type: 'string' }, 'operational-va': { type: 'string' }, run: { type: 'boolean' } },
        HELP,
      );
      if (positionals.length > 0)
        throw inputError(`unexpected argument "${positionals[0]}"`, `see "${HELP}"`);
      if (!values.sa && !values.run) {
        throw inputError('cluster auto-register needs --sa DOMAIN or --run', `see "${HELP}"`);
      }
      return withRuntime(ctx, async (rt) => {
        if (values.sa) {
          const r = await rt.services.clusters.configureAutoRegistration({
            domain: values.sa,
            ...(values['operational-va'] ? { operationalVa: values['operational-va'] } : {}),
            requestedBy: by,
          });
          done(ctx, r.job);
          if (r.moved.length > 0) {
            ctx.io.stdout.write(
              `moved from the old operational VA: ${r.moved.join(', ')}; auto-registered: ${r.report?.registered.join(', ') || 'none'}${r.report?.failed.length ? `; failed: ${r.report.failed.map((f) => `${f.cluster} (${f.code})`).join(', ')}` : ''}\n`,
            );
          }
        }
        if (values.run) {
          const rep = await rt.services.clusters.autoRegister({ requestedBy: by });
          if (!rep.configured) {
            throw inputError(
              'auto-registration is not configured',
              'run `smartlic cluster auto-register --sa DOMAIN [--operational-va VA]` first',
            );
          }
          ctx.io.stdout.write(
            `auto-registration to ${rep.virtualAccount}: ${rep.registered.length} registered, ${rep.failed.length} failed, ${rep.skipped.length} skipped\n`,
          );
          for (const f of rep.failed)
            ctx.io.stdout.write(`  failed  ${f.cluster}: ${f.code}: ${f.message}\n`);
          for (const s of rep.skipped) ctx.io.stdout.write(`  skipped ${s.cluster}: ${s.reason}\n`);
          return rep.failed.length > 0 ? 1 : 0;
        }
        return 0;
      });
    }
    default:
      throw inputError(
        sub ? `unknown cluster command "${sub}"` : 'cluster needs a command',
        `see "${HELP}"`,
      );
  }
}

export const clusterCommand: CliCommand = subcommandVerb(
  'cluster',
  'UC clusters: add, list, assign, unassign, register, deregister, renew-auth, renew-id',
  USAGE,
  run,
);
