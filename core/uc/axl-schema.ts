/**
 * Which AXL schema version smartlic speaks to a Unified CM cluster (DOMAIN §4): the schema
 * must be one the cluster serves — a 12.5 cluster serves schemas up to 12.5, a 14 cluster up
 * to 14.0, a 15 cluster up to 15.0 — and the 12.0 schema has no smart-licensing operations at
 * all. So smartlic uses the newest schema the cluster's release serves, unless the cluster
 * carries an override (for a release whose schema list differs from the rule).
 */
import { SmartlicError } from '../errors.ts';
import { tryParseUcVersion } from '../domain/versions.ts';

/** Schemas with smart-licensing operations that DOMAIN names, oldest first. */
export const AXL_SMART_SCHEMAS = ['12.5', '14.0', '15.0'] as const;

const SCHEMA = /^\d{1,2}\.\d$/;

/** Whether a text is an AXL schema version as the namespace writes it (`14.0`, `12.5`). */
export function isAxlSchemaVersion(v: string): boolean {
  return SCHEMA.test(v);
}

/**
 * The schema for a cluster at `clusterVersion`, or the override when one is set. Throws
 * SLMCT1006 when the release serves no schema with smart-licensing operations (12.0 and
 * earlier) and INPUT for an override that is no schema version.
 */
export function axlSchemaFor(clusterVersion: string, override?: string | null): string {
  if (override !== undefined && override !== null && override.trim() !== '') {
    const o = override.trim();
    if (!isAxlSchemaVersion(o)) {
      throw new SmartlicError({
        code: 'INPUT',
        message: `"${o}" is not an AXL schema version`,
        action: 'give the schema as major.minor, e.g. 12.5, 14.0 or 15.0',
      });
    }
    return o;
  }
  const r = tryParseUcVersion(clusterVersion);
  if (!r.ok) {
    throw new SmartlicError({
      code: 'SLMCT1006',
      message: `cannot choose an AXL schema: ${r.error.message}`,
      action: 'correct the cluster version, or set its AXL schema version explicitly',
    });
  }
  const { major, minor } = r.version;
  if (major >= 15) return '15.0';
  if (major === 14) return '14.0';
  if (major === 12 && minor >= 5) return '12.5';
  throw new SmartlicError({
    code: 'SLMCT1006',
    message: `Unified CM ${clusterVersion} serves no AXL schema with smart-licensing operations (the 12.0 schema has none; they start with 12.5)`,
    action: 'upgrade the cluster to 12.5 or later to manage its smart licensing through AXL',
  });
}
