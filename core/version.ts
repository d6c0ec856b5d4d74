/**
 * This build's version (package.json), for what the database records about who changed it:
 * a newer schema is then explained as "needs smartlic X", not as damage.
 */
import { readFileSync } from 'node:fs';

function read(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const SMARTLIC_VERSION: string = read();
