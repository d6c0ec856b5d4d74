/** `smartlic jobs`: HCM-F's job list (DOMAIN §7.5). */
import { inputError, parseFlags, reportFailure, table, when } from './common.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand } from './types.ts';

const USAGE = `Usage: smartlic jobs [--failed] [--entity NAME] [--limit N] [--json]

HCM-F's job list, newest first: Job Type, Entity Type, Entity Name, Date/Time Initiated,
Date/Time Completed, Status, Description, Status Information, Recommended Action — and the
error code and who asked.
  --failed       only failed jobs
  --entity NAME  only jobs about this entity (cluster, VA as <domain>/<va>, account)
  --limit N      at most N jobs (default 50)
  --json         JSON instead of a table`;

export const jobsCommand: CliCommand = {
  name: 'jobs',
  summary: 'the job list (HCM-F job fields, error codes, who asked)',
  usage: USAGE,
  async run(args, ctx) {
    try {
      const { values, positionals } = parseFlags(
        args,
        {
          failed: { type: 'boolean' },
          json: { type: 'boolean' },
          entity: { type: 'string' },
          limit: { type: 'string' },
        },
        'smartlic jobs --help',
      );
      if (positionals.length > 0) {
        throw inputError(`unexpected argument "${positionals[0]}"`, 'see "smartlic jobs --help"');
      }
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) {
        throw inputError(`--limit needs a positive whole number`, 'e.g. --limit 20');
      }
      const rt = await openRuntime(ctx);
      try {
        const jobs = await rt.repos.jobs.list({
          ...(values.failed ? { status: 'Failed' as const } : {}),
          ...(values.entity ? { entityName: values.entity } : {}),
          limit,
        });
        if (values.json) {
          ctx.io.stdout.write(`${JSON.stringify(jobs, null, 2)}\n`);
          return 0;
        }
        if (jobs.length === 0) {
          ctx.io.stdout.write(values.failed ? 'no failed jobs\n' : 'no jobs\n');
          return 0;
        }
        ctx.io.stdout.write(
          table(
            [
              'Id',
              'Job Type',
              'Entity Type',
              'Entity Name',
              'Description',
              'Initiated',
              'Completed',
              'Status',
              'Error',
              'Requested By',
              'Status Information',
              'Recommended Action',
            ],
            jobs.map((j) => [
              String(j.id),
              j.jobType,
              j.entityType,
              j.entityName,
              j.description ?? '',
              when(j.initiatedAt),
              when(j.completedAt),
              j.status,
              j.errorCode ?? '',
              j.requestedBy ?? '',
              j.statusInformation ?? '',
              j.recommendedAction ?? '',
            ]),
          ),
        );
        return 0;
      } finally {
        await rt.close();
      }
    } catch (e) {
      return reportFailure(ctx, 'jobs', e);
    }
  },
};
