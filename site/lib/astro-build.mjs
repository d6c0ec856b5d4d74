// Builds the site's server bundle (spawned by site/lib/bundle.ts with cwd = site/): the pages
// compiled once, with their client scripts and styles, for site/lib/build.ts to render in its
// own process. A child keeps Vite's memory and state out of the caller, and runs only when the
// site's sources (or Astro) changed. Argument: a JSON object with the options below.
import { build } from 'astro';

const o = JSON.parse(process.argv[2] ?? '{}');
const entry = new URL('./astro-entry.mjs', import.meta.url);
try {
  await build({
    root: o.root,
    configFile: false,
    outDir: o.outDir,
    cacheDir: o.cacheDir,
    logLevel: o.logLevel,
    trailingSlash: 'always',
    // Every page is rendered on request by site/lib/build.ts (with its data as locals).
    output: 'server',
    adapter: {
      name: 'smartlic-render',
      hooks: {
        'astro:config:done': ({ setAdapter }) =>
          setAdapter({
            name: 'smartlic-render',
            serverEntrypoint: entry,
            exports: ['render'],
            adapterFeatures: { buildOutput: 'server' },
            supportedAstroFeatures: { serverOutput: 'stable', staticOutput: 'stable' },
          }),
      },
    },
    // The compiler drops the templates' indentation (about half of a table page's bytes); it is
    // done once per component at compile time, not per page.
    compressHTML: true,
    // Where the site is hosted: `/` or a sub-directory such as `/smartlic/` (site.base, --base).
    base: o.base ?? '/',
    build: { format: 'directory' },
    devToolbar: { enabled: false },
    // No image is transformed (the pages have none): no sharp in the bundle.
    image: { service: { entrypoint: 'astro/assets/services/noop' } },
    vite: {
      logLevel: o.logLevel === 'info' || o.logLevel === 'debug' ? 'info' : 'error',
      define: {
        // The pages' links use this, not import.meta.env.BASE_URL, which a BASE_URL variable in
        // the environment (vitest sets one) would override.
        __SMARTLIC_SITE_BASE__: JSON.stringify(o.base ?? '/'),
      },
      build: { chunkSizeWarningLimit: 1024 },
    },
  });
} catch (e) {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}
