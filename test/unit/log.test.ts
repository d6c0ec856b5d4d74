// Real: core/log.ts. Faked: the sink (an array) and the clock.
import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../core/log.ts';

describe('logger', () => {
  it('redacts secret fields and bearer strings, keeps the rest', () => {
    const lines: string[] = [];
    const log = createLogger({
      write: (l) => lines.push(l),
      now: () => new Date('2026-01-01T00:00:00Z'),
    });
    log.info('calling Authorization: Bearer abc.def.ghi', {
      clientSecret: 's3cr3t',
      nested: { password: 'pw', ok: 1 },
      requestId: 'r-1',
    });
    expect(lines).toHaveLength(1);
    const text = lines[0]!;
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('abc.def.ghi');
    expect(text).not.toContain('"pw"');
    expect(JSON.parse(text)).toMatchObject({ level: 'info', requestId: 'r-1', nested: { ok: 1 } });
  });

  it('drops lines under the level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    log.info('x');
    log.warn('y');
    expect(lines).toHaveLength(1);
  });

  it('redact leaves plain values alone', () => {
    expect(redact({ a: 'b', n: 2 })).toEqual({ a: 'b', n: 2 });
  });
});
