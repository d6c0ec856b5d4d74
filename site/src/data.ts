/**
 * The pages' one source: the files the build writes from core's read models into the directory
 * site/lib/build.ts passes as __SMARTLIC_SITE_DATA__: `site-data.json` (the list pages and what
 * every page shares), `pages.jsonl` (the entity pages to render, one a line, read one at a time
 * when rendered) and `render.json` (which pages to render). Astro starts before they exist and
 * waits for the `ready` file (`dataReady`).
 */
import { existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { EntityPage, SiteData } from '../lib/types.ts';

declare const __SMARTLIC_SITE_DATA__: string;
/** The base the site is hosted under (`/` or `/smartlic/`), set by site/lib/astro-build.mjs. */
declare const __SMARTLIC_SITE_BASE__: string;

let cached: SiteData | undefined;

/** Waits until the build has written the data (polls; gives up if the build went away). */
export async function dataReady(): Promise<void> {
  const ready = join(__SMARTLIC_SITE_DATA__, 'ready');
  const parent = process.ppid;
  while (!existsSync(ready)) {
    // Orphaned (the build process died): nothing will ever be written.
    if (process.ppid !== parent || !existsSync(__SMARTLIC_SITE_DATA__)) {
      throw new Error('the site build stopped before its data was written');
    }
    await new Promise((ok) => setTimeout(ok, 25));
  }
}

export function siteData(): SiteData {
  cached ??= JSON.parse(
    readFileSync(join(__SMARTLIC_SITE_DATA__, 'site-data.json'), 'utf8'),
  ) as SiteData;
  return cached;
}

/**
 * What this build renders: the list pages by address (`''` for the Overview) and each entity
 * page as [address, active nav entry, offset and length in pages.jsonl].
 */
export interface RenderSet {
  lists: string[];
  entities: [page: string, active: string, offset: number, length: number][];
}

export function renderSet(): RenderSet {
  return JSON.parse(readFileSync(join(__SMARTLIC_SITE_DATA__, 'render.json'), 'utf8')) as RenderSet;
}

let pagesFd: number | undefined;
/** One entity page's data, read when it is rendered (the others stay on disk). */
export function readPage(offset: number, length: number): EntityPage {
  pagesFd ??= openSync(join(__SMARTLIC_SITE_DATA__, 'pages.jsonl'), 'r');
  const buf = Buffer.alloc(length);
  let at = 0;
  while (at < length) {
    const n = readSync(pagesFd, buf, at, length - at, offset + at);
    if (n === 0) throw new Error(`pages.jsonl ends before byte ${offset + length}`);
    at += n;
  }
  return JSON.parse(buf.toString('utf8')) as EntityPage;
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
