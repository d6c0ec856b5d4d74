/**
 * The pages' one source: the JSON the build wrote from core's read models (site/lib/build.ts
 * passes its path as __SMARTLIC_SITE_DATA__). Read once per build.
 */
import { readFileSync } from 'node:fs';
import type { SiteData } from '../lib/types.ts';

declare const __SMARTLIC_SITE_DATA__: string;
/** The base the site is hosted under (`/` or `/smartlic/`), set by site/lib/astro-build.mjs. */
declare const __SMARTLIC_SITE_BASE__: string;

let cached: SiteData | undefined;

export function siteData(): SiteData {
  cached ??= JSON.parse(readFileSync(__SMARTLIC_SITE_DATA__, 'utf8')) as SiteData;
  return cached;
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
