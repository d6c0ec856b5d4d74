/**
 * The one error type of smartlic. `code` reuses Cisco's codes (DOMAIN §7) where they fit
 * (CSSM1011, CAA1048, …) and smartlic's own otherwise (CONFIG, INPUT, DB, …).
 */
import { redactText } from './redact.ts';
export interface SmartlicErrorOptions {
  code: string;
  message: string;
  /** What the operator should do next. */
  action?: string;
  cause?: unknown;
  /** Extra structured facts (never secrets). */
  details?: Record<string, unknown>;
}

export class SmartlicError extends Error {
  readonly code: string;
  readonly action: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(opts: SmartlicErrorOptions) {
    // Messages often quote a remote answer: the one redaction rule applies to every error.
    super(redactText(opts.message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SmartlicError';
    this.code = opts.code;
    this.action = opts.action === undefined ? undefined : redactText(opts.action);
    this.details = opts.details;
  }

  /** One operator-facing line: code, message and recommended action; never a stack. */
  toLine(): string {
    return redactText(`${this.code}: ${this.message}${this.action ? ` — ${this.action}` : ''}`);
  }
}

export function isSmartlicError(e: unknown): e is SmartlicError {
  return e instanceof SmartlicError;
}

/** Wraps anything thrown into a SmartlicError without losing the original as `cause`. */
export function toSmartlicError(e: unknown, fallbackCode = 'INTERNAL'): SmartlicError {
  if (e instanceof SmartlicError) return e;
  const sqliteCode = (e as { code?: unknown } | null)?.code;
  if (typeof sqliteCode === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(sqliteCode)) {
    return new SmartlicError({
      code: 'DB_BUSY',
      message:
        'the database stayed locked by another smartlic process for longer than the busy timeout',
      action: 'retry; if it keeps happening, look for a smartlic process that hangs',
      cause: e,
    });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new SmartlicError({ code: fallbackCode, message, cause: e });
}
