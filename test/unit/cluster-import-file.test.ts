// The rules of a bulk cluster import that need no database: reading the CSV / JSON-lines file,
// each row's own checks with its line number (the rules of `cluster add` / `cluster assign`),
// duplicates in the file, the password reference, the secrets file; and the plan against a
// given store state (planImport: VA found, eligibility, the VA rules, already assigned,
// unchanged rows).
// Real: core/services/clusters/import-file.ts and planImport of
// core/services/clusters/bulk-import.ts. Faked: nothing (the store state is a literal).
import { describe, expect, it } from 'vitest';
import {
  csvRecords,
  detectFormat,
  parseImportFile,
  parseSecretsFile,
} from '../../core/services/clusters/import-file.ts';
import { planImport, type ClusterImportRow } from '../../core/services/clusters/bulk-import.ts';
import { clusterKey, type ImportState } from '../../core/store/index.ts';

const HEADER = 'customer,cluster,type,version,publisher,admin_user,password_ref,va';
const good = (n: number, extra = '') =>
  `Globex,globex-cucm-${n},CUCM,14.0.1.13900-155,cucm-${n}.globex.example,axladmin,env:CUCM_PW,nimbus.example.com/va-op${extra}`;

describe('reading the file', () => {
  it('reads quoted fields with commas, quotes and newlines, skips blank and # lines, and keeps line numbers', () => {
    const recs = csvRecords('\uFEFFa,b\n# a comment\n\n"x, y","say ""hi""\nthere"\r\nlast,row');
    expect(recs).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 4, fields: ['x, y', 'say "hi"\nthere'] },
      { line: 6, fields: ['last', 'row'] },
    ]);
  });

  it('says where a quoted field is never closed', () => {
    expect(csvRecords('a,b\n"open,x\n')).toMatchObject({ line: 2, message: /never closed/ });
  });

  it('parses good rows, normalizes the type and takes header aliases', () => {
    const text = `Customer,Name,Type,Version,Publisher Address,Admin-Username,Password,Smart Account,Virtual Account,nodes,axl_schema\nGlobex,g1,cucm,14.0.1.13900-155,https://g1.example:8443,axl,file:globex,nimbus.example.com,va-op,"g1-pub.example:publisher; g1-sub.example",14.0\n`;
    const r = parseImportFile(text, 'csv');
    expect(r.problems).toEqual([]);
    expect(r.drafts).toEqual([
      {
        line: 2,
        customer: 'Globex',
        name: 'g1',
        type: 'CUCM',
        version: '14.0.1.13900-155',
        publisherAddress: 'https://g1.example:8443',
        adminUsername: 'axl',
        password: { key: 'globex' },
        axlSchemaVersion: '14.0',
        va: 'nimbus.example.com/va-op',
        nodes: [
          { hostname: 'g1-pub.example', address: null, role: 'publisher' },
          { hostname: 'g1-sub.example', address: null, role: 'subscriber' },
        ],
      },
    ]);
  });

  it('refuses a header with an unknown or missing column, naming the accepted ones', () => {
    const r = parseImportFile('customer,cluster,type,versoin,publisher\n', 'csv');
    expect(r.problems.map((p) => [p.line, p.message])).toEqual([
      [1, 'unknown column "versoin" (column 4 of the header)'],
      [1, 'the header lacks version, admin_user, password_ref'],
    ]);
    expect(r.problems[0]!.action).toContain('admin_user');
  });

  it('reports every bad row with its line, column and fix, and keeps the good ones apart', () => {
    const text = [
      HEADER,
      good(1),
      'Globex,globex-cucm-2,MCS,14.0,cucm-2,axladmin,env:CUCM_PW,',
      'Globex,globex-cucm-3,CUCM,fourteen,cucm-3,axladmin,env:CUCM_PW,',
      'Globex,globex-cucm-4,CUCM,14.0,cucm-4,axladmin,hunter2secret,',
      'Globex,,CUCM,14.0,cucm-5,axladmin,env:CUCM_PW,',
      'Globex,globex-cucm-6,CUCM,14.0,cucm-6,axladmin,env:CUCM_PW,no-slash',
      good(1),
      'Globex,too,few',
    ].join('\n');
    const r = parseImportFile(text, 'csv');
    // A file with a row of the wrong width is refused as a whole (the columns cannot be trusted).
    expect(r.problems).toEqual([
      expect.objectContaining({ line: 9, message: '3 fields where the header has 8' }),
    ]);
    const r2 = parseImportFile(text.split('\n').slice(0, 8).join('\n'), 'csv');
    expect(r2.drafts.map((d) => d.line)).toEqual([2]);
    expect(r2.problems.map((p) => [p.line, p.column])).toEqual([
      [3, 'type'],
      [4, 'version'],
      [5, 'password_ref'],
      [6, 'cluster'],
      [7, 'va'],
      [8, 'cluster'],
    ]);
    expect(r2.problems[0]!.message).toMatch(/^SLMCT1015/);
    expect(r2.problems[5]!.message).toBe('cluster globex-cucm-1 of Globex is already on line 2');
    // The value that looks like a password is never repeated.
    expect(JSON.stringify(r2.problems)).not.toContain('hunter2secret');
  });

  it('checks the AXL schema, host names, nodes and the two ways to name a VA', () => {
    const text = [
      'customer,cluster,type,version,publisher,admin_user,password_ref,va,smart_account,virtual_account,publisher_hostname,axl_schema,nodes',
      'A,c1,CUC,14.0,p,u,env:X,,,,,14.0,',
      'A,c2,CUCM,14.0,p,u,env:X,,,,,14,',
      'A,c3,CUCM,14.0,p,u,env:X,,,,bad host!,,',
      'A,c4,CUCM,14.0,p,u,env:X,d/v,d,v,,,',
      'A,c5,CUCM,14.0,p,u,env:X,,d,,,,',
      'A,c6,CUCM,14.0,p,u,env:X,,,,,,a:publisher;b:publisher',
      'A,c7,CUCM,14.0,p,u,env:X,,,,,,a:primary',
      'A,c8,CUCM,14.0,p,u,file:k,,d,v,pub.a,12.5,',
    ].join('\n');
    const r = parseImportFile(text, 'csv');
    expect(r.problems.map((p) => [p.line, p.column])).toEqual([
      [2, 'axl_schema'],
      [3, 'axl_schema'],
      [4, 'publisher_hostname'],
      [5, 'va'],
      [6, 'virtual_account'],
      [7, 'nodes'],
      [8, 'nodes'],
    ]);
    expect(r.drafts).toMatchObject([
      {
        line: 9,
        va: 'd/v',
        publisherHostname: 'pub.a',
        axlSchemaVersion: '12.5',
        password: { key: 'k' },
      },
    ]);
  });

  it('reads JSON lines with the same rules and nodes as a list', () => {
    const text = [
      '{"customer":"A","cluster":"c1","type":"CER","version":"14.0","publisher":"p","admin_user":"u","password_ref":"env:X","va":"d/v","nodes":[{"hostname":"cer-pub","role":"publisher"}]}',
      '',
      'not json',
      '{"customer":"A","cluster":"c2","type":"CUCM","version":"14.0","publisher":"p","admin_user":"u","password_ref":"env:X","colour":"red"}',
    ].join('\n');
    const r = parseImportFile(text, 'jsonl');
    expect(r.problems.map((p) => p.line)).toEqual([3, 4]);
    const ok = parseImportFile(text.split('\n')[0]!, 'jsonl');
    expect(ok.drafts[0]).toMatchObject({
      type: 'CER',
      nodes: [{ hostname: 'cer-pub', address: null, role: 'publisher' }],
    });
    expect(detectFormat('x.jsonl', '')).toBe('jsonl');
    expect(detectFormat('x.csv', '{')).toBe('csv');
    expect(detectFormat('x.txt', '  {"a":1}')).toBe('jsonl');
  });

  it('an empty file is a problem, not an import of nothing', () => {
    expect(parseImportFile(`${HEADER}\n`, 'csv').problems).toMatchObject([{ line: 0 }]);
  });

  it('reads a secrets file without ever showing a value', () => {
    const r = parseSecretsFile('# passwords\nglobex=pa=ss word\nbad line s3cret\nglobex=again\n');
    expect(r.secrets.get('globex')).toBe('pa=ss word');
    expect(r.problems.map((p) => p.line)).toEqual([3, 4]);
    expect(JSON.stringify(r.problems)).not.toContain('s3cret');
  });
});

describe('planning against the store', () => {
  const state = (): ImportState => ({
    accounts: [
      { id: 1, domain: 'nimbus.example.com' },
      { id: 2, domain: 'acme.example.com' },
    ],
    vas: [
      {
        id: 10,
        smartAccountId: 1,
        name: 'va-op',
        role: 'operational',
        licenseMode: 'HCS',
        removed: false,
      },
      {
        id: 11,
        smartAccountId: 1,
        name: 'va-ordered',
        role: 'ordered',
        licenseMode: 'HCS',
        removed: false,
      },
      {
        id: 12,
        smartAccountId: 1,
        name: 'va-nomode',
        role: null,
        licenseMode: null,
        removed: false,
      },
      { id: 13, smartAccountId: 1, name: 'va-gone', role: null, licenseMode: 'HCS', removed: true },
      {
        id: 20,
        smartAccountId: 2,
        name: 'va-ent',
        role: null,
        licenseMode: 'Enterprise',
        removed: false,
      },
    ],
    customerIds: new Map([['Globex', 5]]),
    clusters: new Map([
      [
        clusterKey(5, 'g-assigned'),
        {
          id: 100,
          customerId: 5,
          name: 'g-assigned',
          type: 'CUCM',
          version: '14.0.1.13900-155',
          publisherAddress: 'p',
          adminUsername: 'u',
          adminPasswordEnc: 'enc:pw',
          axlSchemaVersion: '14.0',
          licensing: 'Smart',
          virtualAccountId: 20,
        },
      ],
    ]),
    nodes: new Map([[100, [{ hostname: 'sub.g', address: null, role: 'subscriber' as const }]]]),
  });
  const decrypt = (e: string) => (e.startsWith('enc:') ? e.slice(4) : undefined);
  const row = (line: number, over: Partial<ClusterImportRow>): ClusterImportRow => ({
    line,
    customer: 'Globex',
    name: `g${line}`,
    type: 'CUCM',
    version: '14.0.1.13900-155',
    publisherAddress: 'p',
    adminUsername: 'u',
    adminPassword: 'pw',
    ...over,
  });

  it('refuses what `cluster assign` refuses, one problem per row with its Cisco code', () => {
    const { planned, problems } = planImport(
      state(),
      [
        row(1, { va: 'nimbus.example.com/va-op' }),
        row(2, { va: 'nobody.example.com/va-op' }),
        row(3, { va: 'nimbus.example.com/va-missing' }),
        row(4, { va: 'nimbus.example.com/va-gone' }),
        row(5, { va: 'nimbus.example.com/va-op', version: '11.5.1.10000-6' }),
        row(6, { va: 'nimbus.example.com/va-nomode' }),
        row(7, { va: 'nimbus.example.com/va-ordered' }),
        row(8, { name: 'g-assigned', va: 'nimbus.example.com/va-op' }),
        row(9, { version: '11.5.1.10000-6' }),
      ],
      decrypt,
    );
    expect(problems.map((p) => [p.line, p.message.split(':')[0]])).toEqual([
      [2, 'NOT_FOUND'],
      [3, 'NOT_FOUND'],
      [4, 'NOT_FOUND'],
      [5, 'SLMCT1006'],
      [6, 'SLM1014'],
      [7, 'VA_ORDERED'],
      [8, 'SLMCT1007'],
    ]);
    expect(problems.find((p) => p.line === 7)!.action).toContain('va-op');
    expect(problems.find((p) => p.line === 8)!.message).toContain('acme.example.com/va-ent');
    // A ≤ 11.x cluster without a VA is inventory only (PLM), as `cluster add` allows.
    expect(planned.map((p) => [p.row.line, p.kind, p.assignTo?.vaId])).toEqual([
      [1, 'add', 10],
      [9, 'add', undefined],
    ]);
  });

  it('tells an unchanged row from an update, keeps a VA and nodes the row leaves empty', () => {
    const base = { name: 'g-assigned', axlSchemaVersion: '14.0' };
    const plan = (over: Partial<ClusterImportRow>) =>
      planImport(state(), [row(1, { ...base, ...over })], decrypt).planned[0]!;
    expect(plan({}).kind).toBe('unchanged');
    expect(plan({ axlSchemaVersion: undefined }).kind).toBe('unchanged');
    expect(plan({ va: 'acme.example.com/va-ent' })).toMatchObject({ kind: 'unchanged' });
    expect(plan({ adminPassword: 'new' }).kind).toBe('update');
    expect(plan({ version: '15.0.1.10000-10' }).kind).toBe('update');
    // Only the publisher's name given: the stored subscriber stays.
    expect(plan({ publisherHostname: 'pub.g' })).toMatchObject({
      kind: 'update',
      nodes: [
        { hostname: 'pub.g', role: 'publisher' },
        { hostname: 'sub.g', role: 'subscriber' },
      ],
    });
  });
});
