/**
 * The site's view of the data: what the build hands to the Astro pages, as plain JSON (no Date,
 * no class). Made by site/lib/data.ts from core's read models; pages only lay it out.
 */

/** One table cell: text, a number, nothing, or a link to another page of the site. */
export type Cell = string | number | null | { text: string; href: string };

export interface Column {
  key: string;
  label: string;
  /** Numbers sort numerically and align right; dates sort as ISO text. */
  kind?: 'text' | 'number' | 'date';
  /** Offer a drop-down filter with this column's distinct values. */
  filter?: boolean;
}

export interface TableSpec {
  /** Unique on its page: the URL state (`?<id>.sort=…`) and the CSV file name use it. */
  id: string;
  caption: string;
  columns: Column[];
  rows: Record<string, Cell>[];
  /** Shown instead of an empty table. */
  empty?: string;
  /** Boolean filters offered as check boxes: label and the row key that must be truthy. */
  toggles?: { key: string; label: string }[];
  /**
   * A long list: its page is split into pages of `SiteData.listPageSize` rows (readable with
   * JavaScript off, each at its own address), and every row is also written to a JSON file the
   * page loads once a filter, a sort, a search or the CSV download needs the whole list.
   */
  paged?: boolean;
  /** Set by the page that shows part of a paged table (not in the data file). */
  paging?: Paging;
}

/** Where one page of a paged table stands. */
export interface Paging {
  /** 1-based. */
  page: number;
  pages: number;
  /** Rows in the whole table, and the page size. */
  total: number;
  size: number;
  /** Root-relative address of each page (index 0 = page 1). */
  hrefs: string[];
  /** Root-relative address of the JSON file with every row (`RowsFile`). */
  rows: string;
  /** Every filter's choices, over the whole table. */
  choices: Record<string, string[]>;
}

/**
 * The JSON file of a paged table: the column keys, then each row as its cells in that order
 * (a link as `[text, href]`, the href under the site's base) and the keys of its true toggles.
 */
export interface RowsFile {
  columns: string[];
  rows: [cells: (string | number | null | [string, string])[], toggles: string[]][];
}

export interface ChartSpec {
  id: string;
  title: string;
  kind: 'bar' | 'line' | 'doughnut';
  labels: string[];
  series: { label: string; data: (number | null)[] }[];
  stacked?: boolean;
  /** What the x axis counts (for the data table's first header). */
  xLabel?: string;
}

export interface Fact {
  label: string;
  value: Cell;
}

/** A page of one account, VA, customer or cluster. */
export interface EntityPage {
  /** Path below the site root, e.g. `va/12-acme-ops/`; the permalink. */
  path: string;
  title: string;
  kind: string;
  facts: Fact[];
  charts: ChartSpec[];
  tables: TableSpec[];
  notes: string[];
}

/** A list page: facts, charts and tables (Overview, summaries, Jobs, Alerts, Reports). */
export interface ListPage {
  title: string;
  intro: string;
  facts: Fact[];
  charts: ChartSpec[];
  tables: TableSpec[];
  notes: string[];
}

export interface Download {
  /** File name under `reports/` in the output. */
  file: string;
  label: string;
  /** File content; base64 when `binary`. */
  content: string;
  binary?: boolean;
  mime: string;
}

export interface SiteData {
  /** When the build ran (ISO). */
  builtAt: string;
  /** The newest sync the data comes from (ISO), or null when nothing was ever synced. */
  dataAsOf: string | null;
  overview: ListPage;
  accounts: ListPage;
  accountPages: EntityPage[];
  virtualAccounts: ListPage;
  vaPages: EntityPage[];
  customers: ListPage;
  customerPages: EntityPage[];
  clusters: ListPage;
  clusterPages: EntityPage[];
  jobs: ListPage;
  alerts: ListPage;
  reports: ListPage;
  downloads: Download[];
  /** Input of the in-browser what-if (JSON given to core/domain/allocation in the page). */
  whatif: WhatIfData | null;
  /** Rows per page of a paged table (`TableSpec.paged`). */
  listPageSize: number;
  /** Read models the build could not find: shown on the pages that would use them. */
  missing: string[];
}

/**
 * What the in-browser what-if needs: each VA's entitlements and each cluster's license requests
 * as the allocation rules take them (core/domain/allocation's input types, as plain JSON).
 */
export interface WhatIfData {
  virtualAccounts: {
    id: number;
    label: string;
    entitlements: { type: string; quantity: number }[];
  }[];
  clusters: {
    id: number;
    name: string;
    customer: string;
    virtualAccountId: number | null;
    requests: { id: string; type: string; count: number; mode: 'Enterprise' | 'HCS' }[];
  }[];
}

// changed by a test
