/**
 * The pages' one source: what site/lib/build.ts hands each page it renders, through the server
 * bundle it built once (site/lib/bundle.ts), as `Astro.locals` (`PageLocals`). A page reads
 * nothing else: no file, no database, no clock.
 */
import type { EntityPage, ListPage, SiteData } from '../lib/types.ts';

/** The base the site is hosted under (`/` or `/smartlic/`), set by site/lib/astro-build.mjs. */
declare const __SMARTLIC_SITE_BASE__: string;

/** One page to render: a list page (or a part of one), an entity page, or the what-if. */
export type Entry =
  | { kind: 'list'; page: ListPage; active: string; extra?: 'reports'; of?: [number, number] }
  | { kind: 'entity'; page: EntityPage; active: string }
  | { kind: 'whatif' };

/**
 * How the header and footer say when the data was read: `built` (the Overview) writes the
 * estate's "data as of" and the build's time into the page, which is then rendered by every
 * build; `shared` (every other page) leaves them to the site's one stamp file (`stamp.js`,
 * written by every build), so that a page whose own data did not change stays byte for byte
 * the same file.
 */
export type Stamp = 'built' | 'shared';

export interface PageLocals {
  /** What every page shares (the entity page arrays are empty: each page comes in `entry`). */
  site: SiteData;
  entry: Entry;
  stamp: Stamp;
}

/** The locals of the page being rendered (site/lib/build.ts always sets them). */
export function pageLocals(locals: unknown): PageLocals {
  const l = locals as Partial<PageLocals>;
  if (!l.site || !l.entry || !l.stamp) {
    throw new Error('a page was rendered without its data (render it through site/lib/build.ts)');
  }
  return l as PageLocals;
}

/** JSON for a `<script type="application/json">`: nothing in it can close the element. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export { showDate } from './scripts/format.ts';

/**
 * A root-relative link of the data (`/clusters/12-x/`) under the base the site is hosted at
 * (`/` or e.g. `/smartlic/`). Other links are left as they are.
 */
export function url(href: string): string {
  if (!href.startsWith('/') || href.startsWith('//')) return href;
  const base = __SMARTLIC_SITE_BASE__;
  return `${base}${href.slice(1)}`;
}
