// Real: Astro compiling the site's server bundle (site/lib/astro-build.mjs in a child process)
// from a copy of site/ placed beside it in the repository (so that its imports of core/ and of
// node_modules resolve as the real site's do), the lock file and the rename into the bundle
// directory (one of its own below dist/, where node_modules resolves), and the bundle imported and rendering a page in this
// process. Faked: nothing; a source of the copy is changed, or broken, by the test.
// Covers site/lib/bundle.ts (siteBundle, bundleKey: the cache per version of the sources,
// shared by builders that ask at the same moment, a clear error when it cannot be built).
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SITE_ROOT, bundleKey, siteBundle } from '../../site/lib/bundle.ts';
import type { PageLocals } from '../../site/src/data.ts';
import type { ListPage, SiteData } from '../../site/lib/types.ts';

let root: string;
let dir: string;
const opts = () => ({ base: '/', logLevel: 'error' as const, env: process.env, root, dir });

beforeAll(() => {
  // Beside site/ (one level below the repository): the copy's `../../core` is the real core.
  root = join(SITE_ROOT, '..', `.site-bundle-test-${process.pid}`);
  cpSync(join(SITE_ROOT, 'src'), join(root, 'src'), { recursive: true });
  cpSync(join(SITE_ROOT, 'lib'), join(root, 'lib'), { recursive: true });
  // Below the repository, as the real one (dist/site-bundle): the bundle imports Astro by name.
  dir = join(SITE_ROOT, '..', 'dist', `site-bundle-test-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** The smallest data a list page renders from. */
function locals(title: string): PageLocals {
  const page: ListPage = { title, intro: '', facts: [], charts: [], tables: [], notes: [] };
  const site = {
    builtAt: '2026-12-08T05:00:00.000Z',
    dataAsOf: '2026-12-08T04:00:00.000Z',
    downloads: [],
    whatif: null,
    listPageSize: 500,
    missing: [],
  } as unknown as SiteData;
  return { site, entry: { kind: 'list', page, active: '/jobs/' }, stamp: 'built' };
}

const bundles = () => readdirSync(dir).filter((n) => !n.includes('.'));

describe('the site bundle', () => {
  it('is built once for builders that ask at the same moment, kept, and renders pages in-process', async () => {
    const [a, b] = await Promise.all([siteBundle(opts()), siteBundle(opts())]);
    expect(a.dir).toBe(b.dir);
    expect(bundles()).toEqual([a.key]);
    // No lock or half-built directory left behind.
    expect(readdirSync(dir)).toEqual([a.key]);
    const entry = join(a.dir, 'server', 'entry.mjs');
    const built = statSync(entry).mtimeMs;
    expect(readdirSync(join(a.clientDir, '_astro')).some((f) => f.endsWith('.css'))).toBe(true);

    const html = await a.render('jobs/', locals('Bundle test page'));
    expect(html).toContain('<h1>Bundle test page</h1>');
    expect(html).toContain('2026-12-08 04:00 UTC');

    // Asked again with the same sources: the kept bundle, not built again.
    const t0 = performance.now();
    const c = await siteBundle(opts());
    expect(c.key).toBe(a.key);
    expect(statSync(entry).mtimeMs).toBe(built);
    expect(performance.now() - t0).toBeLessThan(5_000);
  }, 400_000);

  it('is built again when a source of the pages changes, and for another base', async () => {
    const before = bundleKey('/', root);
    expect(bundleKey('/smartlic/', root)).not.toBe(before);
    appendFileSync(
      join(root, 'src', 'components', 'Pager.astro'),
      '\n<!-- changed by a test -->\n',
    );
    const after = bundleKey('/', root);
    expect(after).not.toBe(before);
    // A change to a lib file the pages import (types.ts) counts too.
    appendFileSync(join(root, 'lib', 'types.ts'), '\n// changed by a test\n');
    expect(bundleKey('/', root)).not.toBe(after);
    // The build's own files are not part of it (site/lib/build.ts does not change the pages).
    const now = bundleKey('/', root);
    appendFileSync(join(root, 'lib', 'build.ts'), '\n// changed by a test\n');
    expect(bundleKey('/', root)).toBe(now);

    const b = await siteBundle(opts());
    expect(b.key).toBe(now);
    expect(existsSync(join(b.dir, 'server', 'entry.mjs'))).toBe(true);
    expect(bundles()).toHaveLength(2);
  }, 400_000);

  it('fails with a clear error when the pages do not compile, and leaves nothing half-built', async () => {
    writeFileSync(
      join(root, 'src', 'pages', 'broken.astro'),
      '---\nconst x = ;\n---\n<p>{x}</p>\n',
    );
    const n = bundles().length;
    const e = await siteBundle(opts()).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'SITE_BUILD' });
    expect((e as Error).message).toMatch(/could not be compiled/);
    expect((e as { action: string }).action).toMatch(/last good site was left in place/);
    expect(bundles()).toHaveLength(n);
    expect(
      readdirSync(dir).filter(
        (f) => f.includes('.tmp-') || f.includes('.cache-') || f.endsWith('.lock'),
      ),
    ).toEqual([]);
  }, 400_000);

  it('says where when its directory cannot be made', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const e = await siteBundle({ ...opts(), dir: join(file, 'bundles') }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'SITE_BUILD' });
    expect((e as Error).message).toContain(`cannot create the site bundle directory ${file}`);
  });
});
