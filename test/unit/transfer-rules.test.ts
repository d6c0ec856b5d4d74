// The transfer rules (core/domain/transfers.ts): what a transfer must pass before anything is
// sent to CSSM. Real: the pure functions. Faked: nothing (facts are hand-written).
// Covers: core/domain/transfers.ts.
import { describe, expect, it } from 'vitest';
import {
  checkTransfer,
  isTransferRefusal,
  parseTransferQuantity,
  type TransferFacts,
} from '../../core/domain/transfers.ts';

const facts = (o: Partial<TransferFacts> = {}): TransferFacts => ({
  quantity: 10,
  from: { domain: 'acme.com', va: 'ordered', satellite: false },
  to: { domain: 'acme.com', va: 'operational' },
  license: 'HCS UCM Foundation',
  held: { displayName: 'HCS UCM Foundation', available: 50, byType: { TERM: 80 } },
  ...o,
});

const code = (v: unknown) => (isTransferRefusal(v) ? v.code : 'ok');

describe('parseTransferQuantity', () => {
  it.each(['1', '998', '999', ' 1500 ', '2000000'])('takes %j', (t) => {
    expect(parseTransferQuantity(t)).toBe(Number(t.trim()));
  });
  it.each(['0', '-1', '1.5', '10.0', '1e3', '+5', '0x10', '', 'ten', '99999999999999999999'])(
    'refuses %j with what was wrong and how to fix it',
    (t) => {
      const r = parseTransferQuantity(t);
      expect(code(r)).toBe('TRANSFER_QUANTITY');
      if (isTransferRefusal(r)) {
        expect(r.message).toContain(`"${t.trim()}"`);
        expect(r.action).toMatch(/digits/);
      }
    },
  );
  it.each([0, -2, 2.5, NaN, Infinity])('refuses the number %s', (n) => {
    expect(code(parseTransferQuantity(n))).toBe('TRANSFER_QUANTITY');
  });
});

describe('checkTransfer', () => {
  it('passes within what is available, and takes the only type held', () => {
    expect(checkTransfer(facts())).toEqual({ quantity: 10, licenseType: 'TERM', available: 50 });
    expect(checkTransfer(facts({ quantity: '50' }))).toMatchObject({ quantity: 50 });
  });

  it('refuses one more than available (owned minus in use)', () => {
    const r = checkTransfer(facts({ quantity: 51 }));
    expect(code(r)).toBe('TRANSFER_EXCEEDS_AVAILABLE');
    expect(isTransferRefusal(r) && r.action).toMatch(/at most 50/);
  });

  it('caps by what is owned of the chosen type, not only by available', () => {
    const held = {
      displayName: 'UC Manager Enhanced License (12.x)',
      available: 40,
      byType: { TERM: 10, PERPETUAL: 300 },
    };
    expect(checkTransfer(facts({ held, licenseType: 'term', quantity: 10 }))).toMatchObject({
      licenseType: 'TERM',
      available: 10,
    });
    expect(code(checkTransfer(facts({ held, licenseType: 'TERM', quantity: 11 })))).toBe(
      'TRANSFER_EXCEEDS_AVAILABLE',
    );
    expect(checkTransfer(facts({ held, licenseType: 'PERPETUAL', quantity: 40 }))).toMatchObject({
      available: 40,
    });
  });

  it('asks for --type when the source holds both term and perpetual', () => {
    const held = { displayName: 'X', available: 40, byType: { TERM: 10, PERPETUAL: 300 } };
    const r = checkTransfer(facts({ held }));
    expect(code(r)).toBe('TRANSFER_TYPE');
    expect(isTransferRefusal(r) && r.action).toMatch(/--type TERM or --type PERPETUAL/);
  });

  it('refuses a type CSSM cannot move', () => {
    expect(code(checkTransfer(facts({ licenseType: 'DEMO' })))).toBe('TRANSFER_TYPE');
  });

  it('refuses with nothing available (a VA short of it)', () => {
    const held = { displayName: 'X', available: -70, byType: { TERM: 150 } };
    const r = checkTransfer(facts({ held, quantity: 1 }));
    expect(code(r)).toBe('TRANSFER_EXCEEDS_AVAILABLE');
    expect(isTransferRefusal(r) && r.message).toMatch(/has 0 TERM X available/);
  });

  it('without stored details, available alone caps and TERM is assumed', () => {
    const held = { displayName: 'X', available: 5, byType: {} };
    expect(checkTransfer(facts({ held, quantity: 5 }))).toEqual({
      quantity: 5,
      licenseType: 'TERM',
      available: 5,
    });
  });

  it('refuses VAs of different smart accounts, whatever else holds', () => {
    const r = checkTransfer(facts({ to: { domain: 'other.com', va: 'operational' } }));
    expect(code(r)).toBe('TRANSFER_OTHER_ACCOUNT');
    // The domain is compared as CSSM keys it: case does not make another account.
    expect(code(checkTransfer(facts({ to: { domain: 'ACME.com', va: 'operational' } })))).toBe(
      'ok',
    );
  });

  it('refuses the same VA as source and target', () => {
    expect(code(checkTransfer(facts({ to: { domain: 'acme.com', va: 'ordered' } })))).toBe(
      'TRANSFER_SAME_VA',
    );
  });

  it('refuses on a satellite, saying Cisco documents no such call', () => {
    const r = checkTransfer(facts({ from: { domain: 'la', va: 'v', satellite: true } }));
    expect(code(r)).toBe('TRANSFER_SATELLITE');
    expect(isTransferRefusal(r) && r.message).toMatch(/documents no API call/);
  });

  it('refuses a license the source does not hold', () => {
    expect(code(checkTransfer(facts({ held: undefined })))).toBe('TRANSFER_UNKNOWN_LICENSE');
  });

  it('checks the quantity first: a bad one is refused whatever else is wrong', () => {
    expect(
      code(
        checkTransfer(
          facts({ quantity: 'x', held: undefined, to: { domain: 'o.com', va: 'operational' } }),
        ),
      ),
    ).toBe('TRANSFER_QUANTITY');
  });
});
