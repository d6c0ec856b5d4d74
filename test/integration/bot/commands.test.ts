// Real: the command layer (grammar, registry, roles, confirmation, audit) over the real service
// container, real SQLite in a temp file with the real migrations, and the real emulator on
// loopback as CSSM and the UC publishers (demo scenario). Faked: nothing; time is a TestClock
// kept in step with the emulator's frozen clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CommandLayer,
  Registry,
  defaultRegistry,
  type Actor,
  type BotCore,
} from '../../../bot/commands/index.ts';
import type { Reply } from '../../../bot/commands/reply.ts';
import { TestClock } from '../../../core/clock.ts';
import { loadConfig } from '../../../core/config.ts';
import { ConfirmationService } from '../../../core/services/index.ts';
import { silentLogger } from '../../../core/log.ts';
import { provisionCloud, seedClusters, setup, type Fixture } from '../sync-fixture.ts';

let fx: Fixture;
let layer: CommandLayer;
let clusterName: string;
const admin: Actor = { platform: 'slack', userId: 'UADMIN', channelId: 'C1' };
const operator: Actor = { platform: 'slack', userId: 'UOPER', channelId: 'C1' };
const viewer: Actor = { platform: 'slack', userId: 'UNOBODY', channelId: 'C1' };
const terminal: Actor = { platform: 'console', userId: 'alice', channelId: 'terminal' };

const text = (r: { title: string; blocks: unknown[] }) => JSON.stringify(r);

beforeAll(async () => {
  fx = await setup();
  await provisionCloud(fx, 0, true);
  await seedClusters(fx);
  clusterName = (await fx.repos.clusters.list())[0]!.name;
  const config = loadConfig({
    env: {},
    overrides: {
      ...fx.config,
      bot: { roles: { admin: ['slack:UADMIN'], operator: ['slack:UOPER'] } },
    },
  });
  const core: BotCore = {
    db: fx.h.db,
    services: fx.services,
    repos: fx.repos,
    clock: fx.clock,
    logger: silentLogger,
    config,
  };
  layer = new CommandLayer(core, defaultRegistry());
});
afterAll(async () => fx?.close());

describe('grammar and registry', () => {
  it('answers help from the registry, and help <verb> with usage and example', async () => {
    const all = (await layer.execute('help', viewer)).reply;
    expect(all.status).toBe('ok');
    for (const v of ['clusters', 'token create', 'renew', 'role']) expect(text(all)).toContain(v);
    const one = (await layer.execute('help token create', viewer)).reply;
    expect(text(one)).toContain('token create <va> [--days N] [--export-controlled]');
    expect(text(one)).toContain('token create nimbus-hcs.example.com/va-hcs-operational --days 30');
  });

  it('suggests the closest verb for a typo', async () => {
    const r = (await layer.execute('clustrs --failed', viewer)).reply;
    expect(r.status).toBe('usage');
    expect(text(r)).toContain('Did you mean \\"clusters\\"');
  });

  it('gives the usage line when an argument is missing', async () => {
    const r = (await layer.execute('cluster', viewer)).reply;
    expect(r.status).toBe('usage');
    expect(text(r)).toContain('Missing <cluster>');
    expect(text(r)).toContain('cluster <cluster> [--customer NAME]');
  });

  it('refuses an unknown flag and names the known ones', async () => {
    const r = (await layer.execute('jobs --faild', viewer)).reply;
    expect(text(r)).toContain('unknown flag --faild');
    expect(text(r)).toContain('--failed');
  });

  it('suggests the closest cluster name for a typo in an entity', async () => {
    const typo = `${clusterName.slice(0, -1)}x`;
    const r = (await layer.execute(`cluster ${typo}`, viewer)).reply;
    expect(r.status).toBe('error');
    expect(text(r)).toContain(`Did you mean \\"${clusterName}\\"`);
  });
});

describe('reads', () => {
  it('lists accounts, VAs and clusters from the database', async () => {
    expect(text((await layer.execute('accounts', viewer)).reply)).toContain(
      'nimbus-hcs.example.com',
    );
    expect(text((await layer.execute('vas', viewer)).reply)).toContain('va-hcs-operational');
    const cl = (await layer.execute(`clusters`, viewer)).reply;
    expect(text(cl)).toContain(clusterName);
    const one = (await layer.execute(`cluster ${clusterName}`, viewer)).reply;
    expect(one.status).toBe('ok');
    expect(text(one)).toContain('authorization');
  });
});

describe('reads from the read models', () => {
  it('status, status per level, usage, forecast, what-if and reports', async () => {
    const st = (await layer.execute('status', viewer)).reply;
    expect(st.status).toBe('ok');
    // The title is the verdict; the table is the open alerts, the same records as `alerts`.
    expect(st.title).toMatch(/in compliance[:;] .*(nothing needs attention|need)/);
    // The first table of each answer: status's attention list (its accounts table follows).
    const ids = (r: typeof st, col: number) =>
      r.blocks.find((b) => b.kind === 'table')?.kind === 'table'
        ? (r.blocks.find((b) => b.kind === 'table') as { rows: string[][] }).rows.map(
            (row) => row[col],
          )
        : [];
    const al = (await layer.execute('alerts', viewer)).reply;
    expect(ids(st, 0)).toEqual(ids(al, 0));
    // A customer's name answers for that customer; a typo gets "did you mean".
    const customer = (await fx.repos.customers.list())[0]!;
    const sc = (await layer.execute(`status "${customer.name.toLowerCase()}"`, viewer)).reply;
    expect(sc.status).toBe('ok');
    expect(sc.title.startsWith(`${customer.name} is`)).toBe(true);
    const typo = (await layer.execute(`status "${customer.name}x"`, viewer)).reply;
    expect(typo.status).toBe('error');
    expect(text(typo)).toContain(JSON.stringify(`Did you mean "${customer.name}"`).slice(1, -1));
    expect(text((await layer.execute('status va', viewer)).reply)).toContain('va-hcs-operational');
    const va = (await fx.repos.virtualAccounts.listAll())[0]!;
    const label = `nimbus-hcs.example.com/${va.name}`;
    const u = (await layer.execute(`usage ${label}`, viewer)).reply;
    expect(u.status).toBe('ok');
    expect(text(u)).toContain('owned');
    expect((await layer.execute(`usage ${va.name}`, viewer)).reply.title).toBe(`Usage of ${label}`);
    expect((await layer.execute(`forecast ${label}`, viewer)).reply.status).toBe('ok');
    const w = (await layer.execute(`whatif move ${clusterName} ${label}`, viewer)).reply;
    expect(w.status).toBe('ok');
    expect(w.title).toContain('What if');
    const hlm = (await layer.execute('report hlm', viewer)).reply;
    expect(hlm.file?.name).toBe('hlm.csv');
    expect(String(hlm.file?.content)).toContain('LM Name');
    const si = (await layer.execute('report inventory', viewer)).reply;
    expect(String(si.file?.content)).toContain('|LICENSESUMMARYSTART|');
  });

  it('suggests the closest VA for a typo', async () => {
    const r = (await layer.execute('usage nimbus-hcs.example.com/va-hcs-operationl', viewer)).reply;
    expect(text(r)).toContain('Did you mean');
  });
});

describe('roles, confirmation, jobs and audit', () => {
  it('denies a viewer a write, and audits the denial', async () => {
    const r = (await layer.execute(`register ${clusterName}`, viewer)).reply;
    expect(r.status).toBe('denied');
    expect(text(r)).toContain('needs the operator role');
    const [entry] = await fx.repos.audit.list({ actor: 'slack:UNOBODY', limit: 1 });
    expect(entry?.details).toMatchObject({
      outcome: 'denied',
      command: `register ${clusterName}`,
      channel: 'C1',
      platform: 'slack',
    });
  });

  it('nobody may do anything when unknown users are "none"', async () => {
    const strict = new CommandLayer(
      {
        ...layer.core,
        config: { ...layer.core.config, bot: { ...layer.core.config.bot, unknownUsers: 'none' } },
      },
      defaultRegistry(),
    );
    const r = (await strict.execute('accounts', viewer)).reply;
    expect(r.status).toBe('denied');
    expect(text(r)).toContain('does not know you');
  });

  it('asks before a destructive command, and runs it once confirmed, as a job with a follow-up', async () => {
    const ask = await layer.execute(`deregister ${clusterName}`, operator);
    expect(ask.reply.status).toBe('confirm');
    expect(ask.followUp).toBeUndefined();
    const button = ask.reply.blocks.find((b) => b.kind === 'buttons');
    expect(button?.kind === 'buttons' && button.buttons[0]?.command).toBe(
      `deregister ${clusterName}`,
    );
    const ticket = button?.kind === 'buttons' ? button.buttons[0]?.ticket : undefined;
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const run = await layer.execute(`deregister ${clusterName}`, operator, { ticket: ticket! });
    expect(run.reply.status).toBe('pending');
    expect(run.reply.jobId).toBeGreaterThan(0);
    const done = await run.followUp!;
    expect(done.jobId).toBe(run.reply.jobId);
    expect(done.status).toBe('ok');
    const job = await fx.repos.jobs.getById(run.reply.jobId!);
    expect(job).toMatchObject({ status: 'Completed', requestedBy: 'slack:UOPER' });
    const after = (await layer.execute(`cluster ${clusterName}`, viewer)).reply;
    expect(text(after)).toContain('Deregistered');
    const [entry] = await fx.repos.audit.list({
      actor: 'slack:UOPER',
      entityType: 'chat',
      limit: 1,
    });
    expect(entry).toMatchObject({ jobId: run.reply.jobId, details: { outcome: 'job-started' } });
  });

  it('a chat confirmation is one-time, and only for who asked, where, and what', async () => {
    // Its own clock, so that expiry can be reached without moving the fixture's.
    const clock = new TestClock(fx.clock.now());
    const confirmations = new ConfirmationService({
      tickets: fx.repos.confirmationTickets,
      clock,
      ttlMinutes: 10,
    });
    const l = new CommandLayer(
      { ...layer.core, services: { ...layer.core.services, confirmations } },
      defaultRegistry(),
    );
    const ticketOf = (r: { blocks: Reply['blocks'] }) => {
      const b = r.blocks.find((x) => x.kind === 'buttons');
      return b?.kind === 'buttons' ? b.buttons[0]!.ticket! : '';
    };
    // Another cluster than the other tests': this one's unassign really runs.
    const other = (await fx.repos.clusters.list()).at(-1)!.name;
    const line = `unassign ${other}`;
    const refused = async (
      o: Awaited<ReturnType<CommandLayer['execute']>>,
      actor: string,
      reason: string,
      says: RegExp,
    ) => {
      expect(o.reply.status).toBe('denied');
      expect(o.reply.title).toBe('Confirmation refused');
      expect(text(o.reply)).toMatch(says);
      expect(o.followUp).toBeUndefined();
      const [entry] = await fx.repos.audit.list({ actor, entityType: 'chat', limit: 1 });
      expect(entry?.details).toMatchObject({ outcome: 'confirm-refused', reason });
    };
    const before = (await fx.repos.jobs.list({ limit: 1 }))[0]?.id ?? 0;

    const t = ticketOf((await l.execute(line, operator)).reply);
    // Someone else (an admin, even), another channel, another line, a ticket never issued.
    await refused(
      await l.execute(line, admin, { ticket: t }),
      'slack:UADMIN',
      'other-person',
      /belongs to slack:UOPER/,
    );
    await refused(
      await l.execute(line, { ...operator, channelId: 'C2' }, { ticket: t }),
      'slack:UOPER',
      'other-channel',
      /another channel/,
    );
    await refused(
      await l.execute(`deregister ${other}`, operator, { ticket: t }),
      'slack:UOPER',
      'other-command',
      new RegExp(`is for .${line}., not`),
    );
    await refused(
      await l.execute(line, operator, { ticket: 'x'.repeat(22) }),
      'slack:UOPER',
      'unknown',
      /never issued/,
    );
    await refused(
      await l.execute(line, operator, { ticket: '' }),
      'slack:UOPER',
      'unknown',
      /never issued/,
    );
    // The terminal's flag is not a chat confirmation.
    expect((await l.execute(line, operator, { confirmed: true })).reply.status).toBe('confirm');
    // None of those ran anything.
    expect((await fx.repos.jobs.list({ limit: 1 }))[0]?.id ?? 0).toBe(before);

    // The asker, within the time: runs once; a second press is refused.
    const ran = await l.execute(line, operator, { ticket: t });
    expect(ran.reply.status).toBe('pending');
    await ran.followUp;
    await refused(
      await l.execute(line, operator, { ticket: t }),
      'slack:UOPER',
      'used',
      /already used/,
    );

    // Past the ten minutes: expired.
    const late = ticketOf((await l.execute(line, operator)).reply);
    clock.advance({ minutes: 10 });
    await refused(
      await l.execute(line, operator, { ticket: late }),
      'slack:UOPER',
      'expired',
      /expired at .* \(it lasts 10 minutes\)/,
    );
  });

  it('--yes confirms on the terminal only', async () => {
    const slack = await layer.execute(`unassign ${clusterName} --yes`, operator);
    expect(slack.reply.status).toBe('confirm');
    const term = await layer.execute(`unassign ${clusterName} --yes`, {
      platform: 'console',
      userId: 'alice',
      channelId: 'terminal',
    });
    expect(term.reply.status).toBe('pending');
    expect((await term.followUp!).status).toBe('ok');
  });

  it('a failed job follows up with the error code and recommended action', async () => {
    // Renewing a deregistered cluster's authorization fails: deregistered as the confirmation
    // test above leaves it, made so here when that test did not run first in this process
    // (`npm run test:alone` runs each test by itself).
    if (
      !text((await layer.execute(`cluster ${clusterName}`, viewer)).reply).includes('Deregistered')
    ) {
      const d = await layer.execute(`deregister ${clusterName} --yes`, terminal);
      expect(d.reply.status).toBe('pending');
      expect((await d.followUp!).status).toBe('ok');
    }
    const before = (await fx.repos.jobs.list({ limit: 5000 })).length;
    const r = await layer.execute(`renew auth ${clusterName}`, operator);
    expect(r.reply.status).toBe('pending');
    const done = await r.followUp!;
    expect(done.status).toBe('error');
    expect(text(done)).toMatch(/job \d+/);
    // One job: the service's own (its type, Cisco's code and action), carrying who asked.
    expect((await fx.repos.jobs.list({ limit: 5000 })).length).toBe(before + 1);
    const job = (await fx.repos.jobs.getById(r.reply.jobId!))!;
    expect(job.status).toBe('Failed');
    expect(job.errorCode).not.toBe('INTERNAL');
    expect(job.errorCode).toMatch(/^[A-Z]+\d*$/);
    expect(job.jobType).not.toMatch(/^Chat: /);
    expect(job.requestedBy).toBe('slack:UOPER');
    expect(text(done)).toContain(`${job.errorCode}: `);
    if (job.recommendedAction)
      expect(text(done)).toContain(JSON.stringify(job.recommendedAction).slice(1, -1));
  });

  it('role grant is for admins; a granted role takes effect and revoke removes it', async () => {
    expect((await layer.execute('role grant slack:UNOBODY operator', operator)).reply.status).toBe(
      'denied',
    );
    expect((await layer.execute('role grant <@UNOBODY|bob> operator', admin)).reply.status).toBe(
      'ok',
    );
    expect((await layer.execute('whoami', viewer)).reply.blocks).toContainEqual(
      expect.objectContaining({
        fields: expect.arrayContaining([{ label: 'role', value: 'operator' }]),
      }),
    );
    expect((await layer.execute('role revoke slack:UNOBODY operator', admin)).reply.status).toBe(
      'ok',
    );
    expect((await layer.execute(`register ${clusterName}`, viewer)).reply.status).toBe('denied');
    const cfg = (await layer.execute('role revoke slack:UOPER operator', admin)).reply;
    expect(text(cfg)).toContain('by the configuration');
  });
});

describe('read commands run one at a time', () => {
  // Real: the command layer, its roles and audit over the fixture's SQLite. Two commands of a
  // test registry stand in for a read (viewer) and a write (operator): each records when it
  // starts and ends around a real timer, so an overlap shows.
  it('a viewer command waits for the one before it; an operator command does not', async () => {
    const log: string[] = [];
    const spec = (verb: string, role: 'viewer' | 'operator') => ({
      verb,
      summary: verb,
      example: verb,
      role,
      async run() {
        log.push(`${verb} start`);
        await new Promise((r) => setTimeout(r, 30));
        log.push(`${verb} end`);
        return { status: 'ok' as const, title: verb, blocks: [] };
      },
    });
    const core = layer.core;
    const test = new CommandLayer(
      core,
      new Registry([spec('reada', 'viewer'), spec('readb', 'viewer'), spec('write', 'operator')]),
    );
    await Promise.all([
      test.execute('reada', operator),
      test.execute('readb', operator),
      test.execute('write', operator),
    ]);
    expect(log.indexOf('readb start')).toBeGreaterThan(log.indexOf('reada end'));
    expect(log.indexOf('write start')).toBeLessThan(log.indexOf('reada end'));
    // A read that fails does not stop the ones after it.
    const failing = new CommandLayer(
      core,
      new Registry([
        {
          ...spec('boom', 'viewer'),
          run: () => Promise.reject(new Error('boom')),
        },
        spec('after', 'viewer'),
      ]),
    );
    const [boom, after] = await Promise.all([
      failing.execute('boom', operator),
      failing.execute('after', operator),
    ]);
    expect(boom.reply.status).toBe('error');
    expect(after.reply.status).toBe('ok');
  });
});
