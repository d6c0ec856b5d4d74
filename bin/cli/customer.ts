/** `smartlic customer …`: HCS tenants; clusters belong to customers (DOMAIN §1). */
import { checkName, defineCommand, defineGroup, escapeControl } from './common.ts';
import { inventory, openRuntime } from './runtime.ts';
import type { CliCommand } from './types.ts';

const list = defineCommand({
  name: 'customer list',
  summary: 'customers with their clusters',
  options: {},
  table: true,
  json: 'array of {name, description, smartAccount, clusters, assignedClusters}',
  examples: ['smartlic customer list'],
  async run(_p, c) {
    const rt = await openRuntime(c);
    try {
      const rows = await inventory(rt).listCustomers();
      if (c.out.json) {
        c.out.data(rows);
        return 0;
      }
      if (rows.length === 0) {
        c.out.print(
          `no customers in ${rt.config.db.path} (add one with \`smartlic customer add\`)`,
        );
        return 0;
      }
      c.out.table(
        ['Name', 'Smart Account', 'Clusters', 'Assigned', { header: 'Description', shrink: true }],
        rows.map((r) => [
          r.name,
          r.smartAccount ?? '',
          String(r.clusters),
          String(r.assignedClusters),
          r.description ?? '',
        ]),
      );
      return 0;
    } finally {
      await rt.close();
    }
  },
});

const add = defineCommand({
  name: 'customer add',
  summary: 'add a customer (or update its description / account)',
  args: 'NAME',
  arity: [1, 1],
  options: {
    description: { type: 'string', value: 'D', help: 'free text' },
    sa: { type: 'string', value: 'DOMAIN', help: 'the Smart Account the customer belongs to' },
  },
  json: '{customer: {name, description}, created, job}',
  description:
    'Names: at most 128 characters, no control characters. `cluster add` creates a missing customer too.',
  examples: ['smartlic customer add "Stark Industries" --sa nimbus-hcs.example.com'],
  async run({ values, positionals }, c) {
    const name = checkName('customer name', positionals[0]!, 'NAME');
    if (values.description !== undefined)
      checkName('description', values.description, '--description');
    const rt = await openRuntime(c);
    try {
      const r = await inventory(rt).addCustomer({
        name,
        ...(values.description !== undefined ? { description: values.description } : {}),
        ...(values.sa ? { smartAccount: values.sa } : {}),
        requestedBy: c.by,
      });
      if (c.out.json) {
        c.out.data({
          customer: { name: r.customer.name, description: r.customer.description },
          created: r.created,
          job: r.job,
        });
      } else c.out.print(escapeControl(`${r.job.statusInformation ?? 'ok'} — job ${r.job.id}`));
      return 0;
    } finally {
      await rt.close();
    }
  },
});

const remove = defineCommand({
  name: 'customer remove',
  summary: 'remove a customer without clusters',
  args: 'NAME',
  arity: [1, 1],
  options: {},
  json: '{removed: name, job}',
  description: 'Refused (CUSTOMER_IN_USE) while the customer has clusters: remove those first.',
  examples: ['smartlic customer remove "Stark Industries"'],
  async run({ positionals }, c) {
    const rt = await openRuntime(c);
    try {
      const r = await inventory(rt).removeCustomer({ name: positionals[0]!, requestedBy: c.by });
      if (c.out.json) c.out.data({ removed: positionals[0], job: r.job });
      else c.out.print(escapeControl(`${r.job.statusInformation ?? 'removed'} — job ${r.job.id}`));
      return 0;
    } finally {
      await rt.close();
    }
  },
});

export const customerCommand: CliCommand = defineGroup({
  name: 'customer',
  summary: 'customers (HCS tenants): list, add, remove',
  commands: [list, add, remove],
});
