// `rebalance` end to end, as an operator starts it: `smartlic rebalance …` in-process
// (bin/smartlic.ts → the registry's handler → core/reports/rebalance → core/domain/rebalance).
// Real: the emulator (demo scenario, frozen clock) on loopback serving CSSM, a temp SQLite file
// with the real migrations (and, when SMARTLIC_TEST_PG is set, the same suite on a PostgreSQL
// database of test/support/pg.ts, read back through openStore), the nimbus HCS account provisioned and synced through the real CLI
// (test/integration/cli-globex-lab.ts), the what-if engine, and — to check that a plan does
// what it says — CSSM's own transfer call on the emulator (signed with a real OAuth token) and
// a real sync afterwards. Faked: nothing; stdin/stdout are in-memory streams.
// Covers core/reports/rebalance.ts, bot/commands/handlers/rebalance.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type reports } from '../../core/index.ts';
import { openStore } from '../../core/store/index.ts';
import { loadSiteData } from '../../site/lib/data.ts';
import { globexLab, HCS, type GlobexLab } from './cli-globex-lab.ts';
import { storeKinds } from '../support/pg.ts';

describe.each(storeKinds())('rebalance on %s', (kind) => {
  let lab: GlobexLab;
  beforeAll(async () => {
    lab = await globexLab('smartlic-rebalance-', kind);
  }, 60_000);
  afterAll(() => lab.close());

  async function plan(...args: string[]): Promise<reports.RebalanceReport> {
    const r = await lab.run(['rebalance', ...args, '--json']);
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out) as reports.RebalanceReport;
  }

  describe('rebalance', () => {
    it('covers va-globex\u2019s 70 HCS UCM Standard from the ordered VA, no more, and shows both VAs before and after', async () => {
      const r = await plan();
      expect(r.horizonDays).toBe(30);
      expect(r.proposals).toHaveLength(1);
      const p = r.proposals[0]!;
      expect(p).toMatchObject({
        label: `${HCS}/va-globex`,
        dueInDays: 0,
        shortages: [{ type: 'HUCM_Standard', now: 70, atHorizon: 70 }],
        remaining: [],
        coverage: 'full',
      });
      // The ordered VA holds the most to spare (1500 unused; va-hcs-operational 200): one
      // transfer of exactly the shortage, as the `license transfer` command takes it.
      expect(p.transfers).toEqual([
        expect.objectContaining({
          domain: HCS,
          fromVa: 'va-hcs-ordered',
          toVa: 'va-globex',
          license: 'HCS UCM Standard',
          licenseType: 'TERM',
          quantity: 70,
          command: `smartlic license transfer ${HCS}/va-hcs-ordered ${HCS}/va-globex "HCS UCM Standard" 70 --type TERM`,
        }),
      ]);
      const byVa = new Map(r.effects.map((e) => [e.va.name, e]));
      expect([...byVa.keys()].sort()).toEqual(['va-globex', 'va-hcs-ordered']);
      expect(byVa.get('va-globex')!.resolvedShortages).toEqual([
        { type: 'HUCM_Standard', quantity: 70 },
      ]);
      expect(byVa.get('va-globex')!.after.shortages).toEqual([]);
      expect(byVa.get('va-hcs-ordered')!.newShortages).toEqual([]);
    });

    it('for one VA: the proposals it takes part in, as target or as source', async () => {
      expect((await plan(`${HCS}/va-globex`)).transfers).toHaveLength(1);
      const src = await plan(`${HCS}/va-hcs-ordered`);
      expect(src.scope).toBe(`${HCS}/va-hcs-ordered`);
      expect(src.proposals.map((p) => p.va)).toEqual(['va-globex']);
      const none = await plan(`${HCS}/va-hcs-operational`);
      expect(none.proposals).toEqual([]);
      const text = await lab.run(['rebalance', `${HCS}/va-hcs-operational`]);
      expect(text.out).toContain('No shortage now or within 30 days');
    });

    it('refuses a bad horizon and an unknown VA with what to do', async () => {
      const bad = await lab.run(['rebalance', '--days', 'soon']);
      expect(bad.code).not.toBe(0);
      expect(bad.out + bad.err).toMatch(/--days must be a whole number from 0 to 365, not "soon"/);
      expect(bad.out + bad.err).toMatch(/rebalance --days 60/);
      const unknown = await lab.run(['rebalance', `${HCS}/va-nowhere`]);
      expect(unknown.code).not.toBe(0);
      expect(unknown.out + unknown.err).toMatch(/va-nowhere/);
    });

    it('the terminal and the chat give the same plan', async () => {
      const term = await plan(`${HCS}/va-globex`);
      const asked = await lab.run(['ask', `rebalance ${HCS}/va-globex`, '--json']);
      expect(asked.code, asked.err).toBe(0);
      const a = JSON.parse(asked.out) as reports.RebalanceReport;
      expect(a.transfers).toEqual(term.transfers);
    });

    it('the shortage alert carries the proposal: the transfer, its command line, nothing to order', async () => {
      const r = await lab.run(['alerts', '--json']);
      expect(r.code, r.err).toBe(0);
      const text = r.out;
      const doc = JSON.parse(text) as unknown;
      const all = JSON.stringify(doc);
      expect(all).toContain('"rebalance":"full"');
      expect(all).toContain('"rebalanceVa":"nimbus-hcs.example.com/va-globex"');
      expect(all).toContain('"toOrder":"nothing"');
      expect(all).toContain(
        JSON.stringify(
          `smartlic license transfer ${HCS}/va-hcs-ordered ${HCS}/va-globex "HCS UCM Standard" 70 --type TERM`,
        ),
      );
    });

    it('the site shows the plan with the command line on the VA pages and on the alert', async () => {
      const h = await openStore({
        path: lab.env.SMARTLIC_DB!,
        url: lab.env.SMARTLIC_DATABASE_URL,
        readonly: true,
      });
      try {
        const { data } = await loadSiteData(h.db, systemClock);
        const cmd = `smartlic license transfer ${HCS}/va-hcs-ordered ${HCS}/va-globex "HCS UCM Standard" 70 --type TERM`;
        const page = (name: string) => data.vaPages.find((p) => p.title === `${HCS}/${name}`)!;
        const table = (name: string) => page(name).tables.find((t) => t.id === 'rebalance')!;
        const globex = table('va-globex');
        expect(globex.caption).toMatch(/short now\); still to order: nothing/);
        expect(globex.rows).toEqual([
          expect.objectContaining({ direction: 'in', quantity: 70, kind: 'TERM', command: cmd }),
        ]);
        expect(table('va-hcs-ordered').rows).toEqual([
          expect.objectContaining({ direction: 'out', command: cmd }),
        ]);
        expect(table('va-hcs-operational').rows).toEqual([]);
        const open = data.alerts.tables.find((t) => t.id === 'alerts-open')!;
        const plans = open.rows.map((r) => r.plan).filter((x) => typeof x === 'string');
        expect(plans).toEqual(
          expect.arrayContaining([
            `70 HCS UCM Standard (TERM) from va-hcs-ordered\n${cmd}\nto order: nothing`,
          ]),
        );
      } finally {
        await h.close();
      }
    });

    it('once CSSM has run the plan\u2019s transfer and smartlic has synced, nothing is short', async () => {
      const [t] = (await plan()).transfers;
      // The transfer as CSSM takes it (DOMAIN §2), with the lab's own client credentials.
      const c = lab.emu.ready.clients.find((x) => x.for === 'cloud' && x.account === HCS)!;
      const tok = await fetch(lab.emu.ready.cloud.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: c.clientId,
          client_secret: c.clientSecret,
        }),
      });
      const { access_token } = (await tok.json()) as { access_token: string };
      const res = await fetch(
        `${lab.emu.ready.cloud.apiBase.replace(/\/?$/, '/')}v1/accounts/${t!.domain}/virtual-accounts/${t!.fromVa}/licenses/transfer`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${access_token}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: JSON.stringify({
            licenses: [
              {
                license: t!.license,
                licenseType: t!.licenseType,
                quantity: t!.quantity,
                targetVirtualAccount: t!.toVa,
              },
            ],
          }),
        },
      );
      expect(res.status, await res.clone().text()).toBe(200);
      expect((await lab.run(['sync'])).code).toBe(0);
      const after = await plan();
      expect(after.proposals).toEqual([]);
      const usage = await lab.run(['usage', `${HCS}/va-globex`, '--json']);
      expect(usage.out).not.toMatch(/Insufficient Licenses/);
      // The alert that carried the plan resolves at the evaluation after the sync.
      const open = await lab.run(['alerts', '--json']);
      expect(open.out).not.toContain('"rebalanceVa":"nimbus-hcs.example.com/va-globex"');
    });
  });
});
