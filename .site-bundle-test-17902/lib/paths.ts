/**
 * Permalinks: every account, VA, customer and cluster has a page at `<kind>/<id>-<slug>/`.
 * The id keeps two entities of the same name apart (two customers' clusters called "cucm");
 * the slug only makes the address readable.
 */
export function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s;
}

function path(kind: string, id: number, name: string): string {
  const s = slug(name);
  return `${kind}/${id}${s ? `-${s}` : ''}/`;
}

export const accountPath = (id: number, domain: string) => path('accounts', id, domain);
export const vaPath = (id: number, name: string) => path('virtual-accounts', id, name);
export const customerPath = (id: number, name: string) => path('customers', id, name);
export const clusterPath = (id: number, name: string) => path('clusters', id, name);

/** A link cell to a page of the site. */
export function link(text: string, p: string): { text: string; href: string } {
  return { text, href: `/${p}` };
}

/**
 * The list pages: their address below the site root (`undefined`: the Overview at the root) and
 * the `SiteData` key of their content. The pages and the build (rows files) both use this.
 */
export const LIST_PAGES = [
  [undefined, 'overview'],
  ['accounts', 'accounts'],
  ['virtual-accounts', 'virtualAccounts'],
  ['customers', 'customers'],
  ['clusters', 'clusters'],
  ['jobs', 'jobs'],
  ['alerts', 'alerts'],
  ['reports', 'reports'],
] as const;

/** Address (root-relative) of page `n` (1-based) of a list page, and of a paged table's rows. */
export function listPageHref(slug: string | undefined, n: number): string {
  const base = slug ? `/${slug}/` : '/';
  return n <= 1 ? base : `${base}page/${n}/`;
}
export function rowsFileHref(slug: string | undefined, tableId: string): string {
  return `${slug ? `/${slug}/` : '/'}${tableId}.rows.json`;
}
