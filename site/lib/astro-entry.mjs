// The server entry of the site's bundle (the adapter in site/lib/astro-build.mjs names it):
// Astro builds it with the manifest of every page, and site/lib/bundle.ts imports the result to
// render pages in its own process, one Request at a time, with each page's data as locals.
import { App } from 'astro/app';

export function createExports(manifest) {
  const app = new App(manifest);
  return {
    /** The HTML of the page at `url` (absolute, under the site's base), rendered with `locals`. */
    render: (url, locals) => app.render(new Request(url), { locals }),
  };
}
