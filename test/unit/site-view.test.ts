// Real: the site's CSV writer (the browser's "Download CSV"), permalinks, the split of long
// lists into pages with their rows file, and the in-browser what-if composition, as pure
// functions. Faked: nothing.
import { describe, expect, it } from 'vitest';
import { allocate } from '../../core/domain/allocation.ts';
import { rowsFile, splitList } from '../../site/lib/paging.ts';
import { accountPath, clusterPath, slug } from '../../site/lib/paths.ts';
import type { ListPage } from '../../site/lib/types.ts';
import { csvLine, neutralise, toCsv } from '../../site/src/scripts/csv.ts';
import { moveClusters } from '../../site/src/scripts/whatif-move.ts';

describe('site CSV', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+cmd', "'+cmd"],
    ['-x', "'-x"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['plain', 'plain'],
    ['-5', '-5'],
    ['12.5', '12.5'],
  ])('neutralises %j as %j', (input, output) => {
    expect(neutralise(input)).toBe(output);
  });

  it('quotes commas, quotes and newlines; lines end with CRLF', () => {
    expect(csvLine(['a,b', 'say "hi"', 'x\ny', '=HYPERLINK("u")'])).toBe(
      '"a,b","say ""hi""","x\ny","\'=HYPERLINK(""u"")"',
    );
    expect(toCsv(['h'], [['1'], ['2']])).toBe('h\r\n1\r\n2\r\n');
  });
});

describe('permalinks', () => {
  it('id first, then a readable slug; hostile names give safe paths', () => {
    expect(clusterPath(12, 'CUCM Pub 01')).toBe('clusters/12-cucm-pub-01/');
    expect(clusterPath(3, '<script>alert(1)</script>')).toBe('clusters/3-script-alert-1-script/');
    expect(accountPath(4, '…')).toBe('accounts/4/');
    expect(slug('Ünïcode  Name')).toBe('unicode-name');
    expect(slug('x'.repeat(100)).length).toBe(60);
  });
});

describe('in-browser what-if', () => {
  it('moved requests leave their VA and join the target; entitlements stay', () => {
    const data = {
      virtualAccounts: [
        { id: 1, label: 'a/one', entitlements: [{ type: 'UCM_CUWL', quantity: 100 }] },
        { id: 2, label: 'a/two', entitlements: [{ type: 'UCM_EnhancedPlus', quantity: 10 }] },
      ],
      clusters: [
        {
          id: 10,
          name: 'c10',
          customer: 'x',
          virtualAccountId: 1,
          requests: [
            {
              id: '10:UCM_EnhancedPlus',
              type: 'UCM_EnhancedPlus',
              count: 50,
              mode: 'Enterprise' as const,
            },
          ],
        },
        {
          id: 11,
          name: 'c11',
          customer: 'x',
          virtualAccountId: 2,
          requests: [
            {
              id: '11:UCM_EnhancedPlus',
              type: 'UCM_EnhancedPlus',
              count: 5,
              mode: 'Enterprise' as const,
            },
          ],
        },
      ],
    };
    const m = moveClusters(data, [10], 2);
    expect([...m.involved].sort()).toEqual([1, 2]);
    expect(m.before.get(1)!.requests.map((r) => r.id)).toEqual(['10:UCM_EnhancedPlus']);
    expect(m.after.get(1)!.requests).toEqual([]);
    expect(
      m.after
        .get(2)!
        .requests.map((r) => r.id)
        .sort(),
    ).toEqual(['10:UCM_EnhancedPlus', '11:UCM_EnhancedPlus']);
    // Cisco's worked example on the VA the cluster leaves: 50 CUWL lent to Enhanced Plus before.
    const before = allocate(m.before.get(1) as Parameters<typeof allocate>[0]);
    expect(before.licenses.find((l) => l.type === 'UCM_CUWL')!.available).toBe(50);
    const after = allocate(m.after.get(2) as Parameters<typeof allocate>[0]);
    expect(after.shortages).toEqual([{ type: 'UCM_EnhancedPlus', quantity: 45 }]);
  });
});

describe('long lists split into pages', () => {
  const page = (n: number): ListPage => ({
    title: 'Cluster Summary',
    intro: '',
    facts: [],
    charts: [],
    notes: [],
    tables: [
      {
        id: 'clusters',
        caption: 'Clusters',
        columns: [
          { key: 'name', label: 'Name' },
          { key: 'type', label: 'Type', filter: true },
        ],
        rows: Array.from({ length: n }, (_, i) => ({
          name: { text: `c${i + 1}`, href: `/clusters/${i + 1}-c${i + 1}/` },
          type: i % 3 === 0 ? 'CUC' : 'CUCM',
          failed: i === 6 ? 1 : 0,
        })),
        toggles: [{ key: 'failed', label: 'Failed only' }],
        paged: true,
      },
    ],
  });

  it('a list within one page stays one page, without paging', () => {
    const parts = splitList('clusters', page(5), 5);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.page.tables[0]!.paging).toBeUndefined();
  });

  it('pages of `size` rows at clusters/, clusters/page/2/ …, choices over the whole list', () => {
    const parts = splitList('clusters', page(12), 5);
    expect(parts.map((p) => [p.slug, p.n, p.of, p.page.tables[0]!.rows.length])).toEqual([
      ['clusters', 1, 3, 5],
      ['clusters/page/2', 2, 3, 5],
      ['clusters/page/3', 3, 3, 2],
    ]);
    const last = parts[2]!.page.tables[0]!.paging!;
    expect(last.hrefs).toEqual(['/clusters/', '/clusters/page/2/', '/clusters/page/3/']);
    expect(last.rows).toBe('/clusters/clusters.rows.json');
    // Page 3 holds only CUCM rows (c11, c12), yet the filter offers both types.
    expect(last.choices).toEqual({ type: ['CUC', 'CUCM'] });
  });

  it('the rows file: cells in column order, links under the base, true toggles', () => {
    const f = rowsFile(page(8).tables[0]!, '/smartlic/');
    expect(f.columns).toEqual(['name', 'type']);
    expect(f.rows[0]).toEqual([[['c1', '/smartlic/clusters/1-c1/'], 'CUC'], []]);
    expect(f.rows[6]).toEqual([[['c7', '/smartlic/clusters/7-c7/'], 'CUC'], ['failed']]);
    expect(f.rows).toHaveLength(8);
  });
});
