/**
 * Long lists (a table marked `paged`) split into pages: page 1 at the list's own address, the
 * others at `page/<n>/`, each with its share of the rows, readable without JavaScript. The
 * whole list goes to a rows file (`rowsFile`) the page loads when a filter, a sort, a search or
 * the CSV download needs every row.
 */
import { listPageHref, rowsFileHref } from './paths.ts';
import type { Cell, ListPage, RowsFile, TableSpec } from './types.ts';

export interface ListPart {
  /** Address below the site root (undefined: the root). */
  slug: string | undefined;
  page: ListPage;
  /** 1-based page number and the number of pages. */
  n: number;
  of: number;
}

const raw = (c: Cell | undefined): string =>
  c === null || c === undefined ? '' : typeof c === 'object' ? c.text : String(c);

/** The paged table of a list page that needs more than one page, if any. */
export function pagedTable(page: ListPage, size: number): TableSpec | undefined {
  return page.tables.find((t) => t.paged && t.rows.length > size);
}

/** The pages of one list page (one part when nothing needs splitting). */
export function splitList(slug: string | undefined, page: ListPage, size: number): ListPart[] {
  const t = pagedTable(page, size);
  if (!t) return [{ slug, page, n: 1, of: 1 }];
  const pages = Math.ceil(t.rows.length / size);
  const choices: Record<string, string[]> = {};
  for (const c of t.columns.filter((x) => x.filter)) {
    choices[c.key] = [...new Set(t.rows.map((r) => raw(r[c.key])).filter((v) => v !== ''))].sort();
  }
  const hrefs = Array.from({ length: pages }, (_, i) => listPageHref(slug, i + 1));
  return hrefs.map((href, i) => {
    const part: TableSpec = {
      ...t,
      rows: t.rows.slice(i * size, (i + 1) * size),
      paging: {
        page: i + 1,
        pages,
        total: t.rows.length,
        size,
        hrefs,
        rows: rowsFileHref(slug, t.id),
        choices,
      },
    };
    return {
      slug: i === 0 ? slug : href.replace(/^\/|\/$/g, ''),
      page: { ...page, tables: page.tables.map((x) => (x === t ? part : x)) },
      n: i + 1,
      of: pages,
    };
  });
}

/**
 * The rows file of a paged table: cells in column order (a link as `[text, href]` with its href
 * under `base`) and the keys of each row's true toggles.
 */
export function rowsFile(t: TableSpec, base: string): RowsFile {
  const keys = t.columns.map((c) => c.key);
  const toggles = (t.toggles ?? []).map((x) => x.key);
  const at = (href: string) => (href.startsWith('/') ? `${base}${href.slice(1)}` : href);
  return {
    columns: keys,
    rows: t.rows.map((r) => [
      keys.map((k) => {
        const c = r[k] ?? null;
        return c !== null && typeof c === 'object' ? [c.text, at(c.href)] : c;
      }),
      toggles.filter((k) => r[k]),
    ]),
  };
}
