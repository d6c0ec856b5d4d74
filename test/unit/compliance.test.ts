// Real: core/domain/compliance.ts (pure). Faked: nothing; counts written by hand.
import { describe, expect, it } from 'vitest';
import {
  complianceOf,
  isShort,
  satelliteSyncOverdue,
  shortageOf,
} from '../../core/domain/compliance.ts';

describe('the one definition of a shortage', () => {
  it('is what is in use beyond what is owned, however CSSM shows it', () => {
    expect(shortageOf({ quantity: 150, inUse: 220, available: -70 })).toBe(70);
    // CSSM caps inUse at quantity and shows the rest as negative available.
    expect(shortageOf({ quantity: 150, inUse: 150, available: -70 })).toBe(70);
    expect(shortageOf({ quantity: 100, inUse: 90, available: 10 })).toBe(0);
    expect(shortageOf({ quantity: 0, inUse: 0, available: 0 })).toBe(0);
  });

  it('CSSM saying "Insufficient Licenses" counts even when the counts do not show it', () => {
    expect(
      isShort({ quantity: 10, inUse: 10, available: 0, status: 'Insufficient Licenses' }),
    ).toBe(true);
    expect(isShort({ quantity: 10, inUse: 10, available: 0, status: 'In Compliance' })).toBe(false);
    expect(complianceOf([{ quantity: 1, inUse: 2, available: -1 }])).toBe('Out of Compliance');
    expect(complianceOf([])).toBe('In Compliance');
  });

  it('a satellite is overdue after more than 30 days without a CSSM sync', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    expect(satelliteSyncOverdue(new Date('2026-10-29T12:00:00Z'), now)).toBe(false);
    expect(satelliteSyncOverdue(new Date('2026-10-29T11:59:59Z'), now)).toBe(true);
    expect(satelliteSyncOverdue(null, now)).toBe(true);
  });
});
