/** `smartlic jobs`: HCM-F's job list (DOMAIN §7.5). */
import { defineCommand, inputError, singleCommand, when } from './common.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand } from './types.ts';

const jobsCmd = defineCommand({
  name: 'jobs',
  summary: 'the job list (HCM-F job fields, error codes, who asked)',
  options: {
    failed: { type: 'boolean', help: 'only failed jobs' },
    entity: {
      type: 'string',
      value: 'NAME',
      help: 'only jobs about this entity (cluster, <domain>/<va>, account)',
    },
    limit: { type: 'string', value: 'N', help: 'at most N jobs (default 50)' },
  },
  table: true,
  json: 'array of jobs with every field (see README)',
  description: `HCM-F's job list, newest first: Job Type, Entity Type, Entity Name, Date/Time Initiated,
Date/Time Completed, Status, Description, Status Information, Recommended Action — and the
error code and who asked. On a narrow terminal the less important columns are left out;
--wide shows them all.`,
  examples: ['smartlic jobs --failed --limit 10', 'smartlic jobs --entity stark-cucm-01 --json'],
  async run({ values }, c) {
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!/^\d+$/.test(values.limit ?? '50') || !Number.isSafeInteger(limit) || limit < 1) {
      throw inputError(
        `--limit needs a positive whole number, got "${values.limit}"`,
        'e.g. --limit 20',
      );
    }
    const rt = await openRuntime(c);
    try {
      const jobs = await rt.repos.jobs.list({
        ...(values.failed ? { status: 'Failed' as const } : {}),
        ...(values.entity ? { entityName: values.entity } : {}),
        limit,
      });
      if (c.out.json) {
        c.out.data(jobs);
        return 0;
      }
      if (jobs.length === 0) {
        c.out.print(
          `${values.failed ? 'no failed jobs' : 'no jobs'}${values.entity ? ` for ${values.entity}` : ''} in ${rt.config.db.path}`,
        );
        return 0;
      }
      c.out.table(
        [
          { header: 'Id', min: 2 },
          'Job Type',
          { header: 'Entity Type', optional: true, dropOrder: 3 },
          'Entity Name',
          { header: 'Description', optional: true, shrink: true, dropOrder: 5 },
          { header: 'Initiated', optional: true, min: 20, dropOrder: 4 },
          { header: 'Completed', min: 20 },
          'Status',
          'Error',
          { header: 'Requested By', optional: true, dropOrder: 2 },
          { header: 'Status Information', optional: true, shrink: true, dropOrder: 6 },
          { header: 'Recommended Action', optional: true, shrink: true, dropOrder: 1 },
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
      );
      return 0;
    } finally {
      await rt.close();
    }
  },
});

export const jobsCommand: CliCommand = singleCommand(jobsCmd);
