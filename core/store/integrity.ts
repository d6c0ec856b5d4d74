/**
 * Is the database file sound? SQLite's own checks: `quick_check` (every page readable, the
 * b-trees well formed; seconds even on a large file) for `doctor`, and the full
 * `integrity_check` (indexes agree with their tables too) before a backup, so a damaged file
 * is never copied over as if it were a good one.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { SmartlicError } from '../errors.ts';

export interface IntegrityResult {
  ok: boolean;
  /** SQLite's words for what is wrong (at most `limit`), empty when sound. */
  problems: string[];
}

/** Runs `PRAGMA quick_check` or `PRAGMA integrity_check`; a file too damaged to read is not ok. */
export function checkIntegrity(
  sqlite: BetterSqlite3.Database,
  mode: 'quick' | 'full',
  limit = 10,
): IntegrityResult {
  const pragma = mode === 'quick' ? 'quick_check' : 'integrity_check';
  try {
    const rows = sqlite.pragma(`${pragma}(${Math.max(1, Math.floor(limit))})`) as Record<
      string,
      unknown
    >[];
    const lines = rows.map((r) => String(Object.values(r)[0]));
    if (lines.length === 1 && lines[0] === 'ok') return { ok: true, problems: [] };
    return { ok: false, problems: lines };
  } catch (e) {
    // SQLITE_CORRUPT / SQLITE_NOTADB: the check itself could not read the file.
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) {
      return { ok: false, problems: [e instanceof Error ? e.message : code] };
    }
    throw e;
  }
}

/** DB_CORRUPT for a damaged database at `path`: what SQLite found and what to do now. */
export function damagedDatabaseError(
  path: string,
  r: IntegrityResult,
  mode: 'quick' | 'full',
  refused?: string,
): SmartlicError {
  const shown = r.problems.slice(0, 3).join('; ');
  return new SmartlicError({
    code: 'DB_CORRUPT',
    message: `the database ${path} is damaged: SQLite's ${mode === 'quick' ? 'quick_check' : 'integrity_check'} found ${r.problems.length >= 10 ? 'at least ' : ''}${r.problems.length} problem(s) (${shown})${refused ? `; ${refused}` : ''}`,
    action: damagedAction(path),
    details: { path, problems: r.problems },
  });
}

/** What to do about a damaged database file. */
export function damagedAction(path: string): string {
  return `stop smartlic, copy ${path} aside as it is, then restore the last good backup (\`smartlic db restore <backup> --with-key --force\`) and sync: CSSM's side comes back from CSSM, what only smartlic holds (VA roles and modes, cluster assignments, subscriptions) comes from the backup. Without a backup, \`sqlite3 ${path} .recover\` into a new file saves what it can`;
}
