/**
 * `report hlm|inventory`: the HLM report and the Service Inventory license summary as text,
 * CSV or an Excel file, from core/reports.
 */
import { reports } from '../../../core/index.ts';
import type { CommandSpec } from '../registry.ts';
import { context, ok, section, table, type Block, type ReplyFile } from '../reply.ts';
import { inputError, inputErrorNotFound, withSuggestions } from './common.ts';

export const report: CommandSpec = {
  verb: 'report',
  summary:
    'the HLM report (per VA or customer; text, CSV or Excel) or the Service Inventory license summary',
  args: [{ name: 'kind', choices: ['hlm', 'inventory'] }],
  flags: [
    { name: 'by', value: 'va|customer', help: 'HLM per virtual account (default) or per customer' },
    {
      name: 'customer',
      value: 'NAME',
      valueOptional: true,
      help: 'HLM per customer, only this one',
    },
    {
      name: 'format',
      value: 'text|csv|xlsx',
      help: "HLM as a table (the terminal's default), CSV (chat's default) or an Excel workbook",
    },
  ],
  example: 'report hlm --customer Globex --format csv',
  role: 'viewer',
  async run({ core, actor }, { values, flags }) {
    const kind = values.kind!.toLowerCase();
    const terminal = actor.platform === 'console';
    const given = typeof flags.format === 'string' ? flags.format.toLowerCase() : undefined;
    if (given !== undefined && !['text', 'csv', 'xlsx'].includes(given))
      throw inputError(
        `--format must be text, csv or xlsx, not "${String(flags.format)}"`,
        'e.g. --format csv',
      );
    if (kind === 'inventory' && given !== undefined)
      throw inputError('the Service Inventory summary has one format', 'leave out --format');
    const by = typeof flags.by === 'string' ? flags.by.toLowerCase() : undefined;
    if (by !== undefined && by !== 'va' && by !== 'customer')
      throw inputError(
        `--by must be va or customer, not "${String(flags.by)}"`,
        'e.g. --by customer',
      );
    const notes: Block[] = [];
    if (flags.customer === true)
      notes.push(
        context('`--customer` alone is now `--by customer` (`--customer NAME` picks one).'),
      );
    const customer = typeof flags.customer === 'string' ? flags.customer : undefined;
    if (customer !== undefined && by === 'va')
      throw inputError('--customer NAME is a per-customer report', 'leave out --by va');
    const perCustomer = by === 'customer' || flags.customer !== undefined;
    const site = core.config.bot.siteUrl;
    // In chat, with a site configured and no format asked for, the answer is the site's page.
    if (site && !terminal && given === undefined) {
      const page =
        kind === 'hlm'
          ? `hlm/${customer ? `customers/${encodeURIComponent(customer)}/` : ''}`
          : 'inventory/';
      const url = `${site.replace(/\/$/, '')}/${page}`;
      return ok(
        kind === 'hlm' ? 'HLM report' : 'Service Inventory report',
        section(url),
        context('The site is rebuilt from the database after each sync.'),
      );
    }
    if (kind === 'inventory') {
      const content = await reports.serviceInventory(core.db);
      return {
        ...ok(
          'Service Inventory report',
          context(`service-inventory.txt, ${Buffer.byteLength(content)} bytes`),
        ),
        file: { name: 'service-inventory.txt', mime: 'text/plain', content },
      };
    }
    let r = await reports.hlmReport(core.db, { level: perCustomer ? 'customer' : 'va' });
    if (customer && r.level === 'customer') {
      const rows = r.rows.filter((x) => x.customer === customer);
      if (rows.length === 0) {
        await withSuggestions(core, 'customer', customer, () =>
          Promise.reject(inputErrorNotFound(`customer ${customer}`)),
        );
      }
      r = { level: 'customer', rows };
    }
    const format = given ?? (terminal ? 'text' : 'csv');
    const title = `HLM report${perCustomer ? ` per customer${customer ? ` (${customer})` : ''}` : ''}`;
    if (format === 'text') {
      const t = reports.hlmTable(r);
      return {
        ...ok(
          title,
          table(
            t.headers,
            t.rows.map((row) => row.map((c) => (c === null ? '-' : c))),
          ),
          ...notes,
        ),
        data: r,
      };
    }
    const base = customer ? `hlm-${customer}` : perCustomer ? 'hlm-customers' : 'hlm';
    const file: ReplyFile =
      format === 'xlsx'
        ? {
            name: `${base}.xlsx`,
            mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
            content: await reports.hlmXlsx(r, core.clock.now()),
          }
        : { name: `${base}.csv`, mime: 'text/csv', content: reports.hlmCsv(r) };
    return {
      ...ok(title, context(`${file.name}, ${Buffer.byteLength(file.content)} bytes`), ...notes),
      file,
      data: r,
    };
  },
};
