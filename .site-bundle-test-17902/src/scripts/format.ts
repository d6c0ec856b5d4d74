/**
 * Formatting shared by the pages (at build time) and their scripts (in the browser), so a row
 * drawn from a rows file reads exactly like one written into the page.
 */

/** `2026-12-01T03:00:00.000Z` → `2026-12-01 03:00 UTC`; other text unchanged. */
export function showDate(v: string | null | undefined): string {
  if (!v) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(v);
  return m ? `${m[1]} ${m[2]} UTC` : v;
}
