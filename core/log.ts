/**
 * A small JSON-lines logger. Every value passes through `redact`, so a secret handed to a log
 * call by mistake is replaced before it reaches the sink.
 */
import { redact } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export { redact } from './redact.ts';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Whether a line at this level would be written (to skip building one that would not). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to nothing (tests) — bin/ passes stderr. */
  write?: (line: string) => void;
  /** Timestamp source; bin/ passes the Clock. */
  now?: () => Date;
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = LEVELS[opts.level ?? 'info'];
  const write = opts.write ?? (() => undefined);
  const now = opts.now ?? (() => new Date(0));
  const base = opts.base ?? {};
  const emit = (
    level: Exclude<LogLevel, 'silent'>,
    msg: string,
    fields?: Record<string, unknown>,
  ) => {
    if (LEVELS[level] < min) return;
    const line = {
      t: now().toISOString(),
      level,
      msg: redact(msg),
      ...(redact({ ...base, ...fields }) as object),
    };
    write(JSON.stringify(line));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...opts, base: { ...base, ...fields } }),
    enabled: (level) => LEVELS[level] >= min,
  };
}

export const silentLogger: Logger = createLogger({ level: 'silent' });
