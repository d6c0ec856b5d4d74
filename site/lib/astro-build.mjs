// Runs the build's one Astro process (spawned by site/lib/build.ts with cwd = site/): Astro
// writes its server bundle inside the working directory, and a child keeps the build's memory
// and Vite state out of the caller. Argument: a JSON object with the options below.
import { build } from 'astro';

const o = JSON.parse(process.argv[2] ?? '{}');
try {
  await build({
    root: o.root,
    configFile: false,
    outDir: o.outDir,
    cacheDir: o.cacheDir,
    logLevel: o.logLevel,
    trailingSlash: 'always',
    // The compiler drops the templates' indentation (about half of a table page's bytes); it is
    // done once per component at compile time, not per page.
    compressHTML: true,
    // Where the site is hosted: `/` or a sub-directory such as `/smartlic/` (site.base, --base).
    base: o.base ?? '/',
    build: { format: 'directory', concurrency: 2 },
    devToolbar: { enabled: false },
    vite: {
      logLevel: o.logLevel === 'info' || o.logLevel === 'debug' ? 'info' : 'error',
      define: {
        // The directory the build writes the data into (site/lib/build.ts); the pages wait
        // for its `ready` file, so Astro bundles while the database is read.
        __SMARTLIC_SITE_DATA__: JSON.stringify(o.dataDir),
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
