// Real: core/cssm/cssm-errors.ts, core/cssm/cssm.dto.ts and splitQuantity (pure). Faked: nothing.
import { describe, expect, it } from 'vitest';
import { SmartlicError } from '../../core/errors.ts';
import { cssmAnswerError, parseAtEdge, readCssmMessage } from '../../core/cssm/cssm-errors.ts';
import {
  licensesPageSchema,
  parseCssmDate,
  devicesPageSchema,
  virtualAccountsSchema,
  tokensSchema,
} from '../../core/cssm/cssm.dto.ts';
import { splitQuantity } from '../../core/cssm/cssm.client.ts';

const ctx = { op: 'list virtual accounts', account: 'acme.com', requestId: 'r-1' };

function parseOrError(schema: Parameters<typeof parseAtEdge>[0], data: unknown): SmartlicError {
  try {
    parseAtEdge(schema, data, {
      code: 'CSSM1020',
      peer: 'CSSM',
      op: 'list licenses',
      action: 'retry',
    });
  } catch (e) {
    if (e instanceof SmartlicError) return e;
    throw e;
  }
  throw new Error('expected a SmartlicError');
}

describe('readCssmMessage', () => {
  it('reads message → statusMessage → error_description → error', () => {
    expect(readCssmMessage({ message: 'a', statusMessage: 'b', error: 'd' })).toBe('a');
    expect(readCssmMessage({ statusMessage: 'b', error_description: 'c', error: 'd' })).toBe('b');
    expect(readCssmMessage({ error_description: 'c', error: 'd' })).toBe('c');
    expect(readCssmMessage({ error: 'd' })).toBe('d');
    expect(readCssmMessage({ message: '  ', error: 'd' })).toBe('d');
    expect(readCssmMessage('nope')).toBeUndefined();
  });
});

describe('cssmAnswerError', () => {
  it('401 and 400 invalid_client are bad credentials (CSSM1011)', () => {
    const e = cssmAnswerError(401, { error: 'invalid_client' }, ctx);
    expect(e.code).toBe('CSSM1011');
    expect(e.action).toMatch(/reconfigure the client id and secret, then sync/i);
    expect(cssmAnswerError(400, { error: 'invalid_client' }, ctx).code).toBe('CSSM1011');
  });
  it('403 "Invalid Client" is the API-not-entitled case, said plainly', () => {
    const e = cssmAnswerError(403, { message: 'Invalid Client' }, ctx);
    expect(e.code).toBe('CSSM1015');
    expect(e.details).toMatchObject({ reason: 'api-not-entitled', requestId: 'r-1' });
    expect(e.message).toMatch(/not approved/i);
    expect(e.action).toMatch(/API console/);
  });
  it('other 403 is no access / wrong domain', () => {
    const e = cssmAnswerError(403, { statusMessage: 'User does not have access' }, ctx);
    expect(e.code).toBe('CSSM1015');
    expect(e.details?.reason).toBe('no-access');
  });
  it('404 or an unknown-account message is CSSM1019', () => {
    expect(cssmAnswerError(404, undefined, ctx).code).toBe('CSSM1019');
    expect(
      cssmAnswerError(
        400,
        { status: 'ERROR', statusMessage: 'Smart Account acme.com does not exist' },
        ctx,
      ).code,
    ).toBe('CSSM1019');
  });
  it('a 404 about a VA or a path is not an unknown Smart Account', () => {
    const e = cssmAnswerError(
      404,
      { status: 'ERROR', statusMessage: 'Virtual Account not found: ops' },
      ctx,
    );
    expect(e.code).toBe('CSSM1020');
    expect(e.details?.reason).toBe('not-found');
    expect(cssmAnswerError(404, { statusMessage: 'Local Account not found: t1' }, ctx).code).toBe(
      'CSSM1019',
    );
  });
  it('5xx, 429 and status ERROR are CSSM1020 with the message quoted', () => {
    const e = cssmAnswerError(500, { status: 'ERROR', statusMessage: 'Internal failure' }, ctx);
    expect(e.code).toBe('CSSM1020');
    expect(e.message).toContain('Internal failure');
    expect(e.details?.reason).toBe('server-error');
    expect(cssmAnswerError(429, {}, ctx).details?.reason).toBe('rate-limited');
    expect(cssmAnswerError(200, { status: 'ERROR', message: 'quota' }, ctx).code).toBe('CSSM1020');
  });
});

describe('DTOs', () => {
  it('parse VAs with isDefault as string', () => {
    const r = virtualAccountsSchema.parse({
      status: 'SUCCESS',
      virtualAccounts: [
        { name: 'DEFAULT', description: 'd', isDefault: 'true', commerceAccessLevel: 'FULL' },
        { name: 'ops', isDefault: 'false' },
      ],
    });
    expect(r.virtualAccounts.map((v) => v.isDefault)).toEqual([true, false]);
  });
  it('parse licenses with numbers as strings and both date forms', () => {
    const r = licensesPageSchema.parse({
      totalRecords: '1',
      licenses: [
        {
          license: 'UC Manager Enhanced License (12.x)',
          virtualAccount: 'acme-ops',
          quantity: '200',
          inUse: 150,
          available: 50,
          status: 'In Compliance',
          licenseDetails: [
            {
              licenseType: 'TERM',
              quantity: 200,
              startDate: '2025-05-20',
              endDate: '2028-05-19T10:00:00Z',
            },
            { licenseType: 'PERPETUAL', quantity: 1, startDate: null, endDate: null },
          ],
        },
      ],
    });
    const l = r.licenses[0]!;
    expect(l.quantity).toBe(200);
    expect(l.reserved).toBe(0);
    expect(l.licenseDetails[0]!.startDate?.toISOString()).toBe('2025-05-20T00:00:00.000Z');
    expect(l.licenseDetails[0]!.endDate?.toISOString()).toBe('2028-05-19T10:00:00.000Z');
    expect(l.licenseDetails[1]!.startDate).toBeNull();
  });
  it('an unexpected shape names the field path (CSSM1020)', () => {
    const e = parseOrError(licensesPageSchema, {
      totalRecords: 1,
      licenses: [
        {
          license: 'x',
          virtualAccount: 'v',
          quantity: 'many',
          inUse: 0,
          available: 0,
          status: 's',
        },
      ],
    });
    expect(e.code).toBe('CSSM1020');
    expect(e.details?.field).toBe('licenses[0].quantity');
    expect(e.message).toContain('licenses[0].quantity');
    const e2 = parseOrError(tokensSchema, {
      tokens: [{ token: 't', expirationDate: '20/11/2024' }],
    });
    expect(e2.details?.field).toBe('tokens[0].expirationDate');
  });
  it('devices accept data[]/totalRows and devices[]', () => {
    const dev = { sudi: { udiPid: 'UCM', udiSerialNumber: 'abc12' }, productTagName: 't' };
    expect(devicesPageSchema.parse({ data: [dev], totalRows: 1 })).toMatchObject({ totalRows: 1 });
    expect(devicesPageSchema.parse({ status: 'SUCCESS', devices: [dev] })).toHaveProperty(
      'devices',
    );
  });
  it('parseCssmDate refuses impossible dates', () => {
    expect(parseCssmDate('2025-02-30')).toBeUndefined();
    expect(parseCssmDate('yesterday')).toBeUndefined();
  });
});

describe('splitQuantity', () => {
  it('splits into chunks of at most 998', () => {
    expect(splitQuantity(998)).toEqual([998]);
    expect(splitQuantity(2000)).toEqual([998, 998, 4]);
    expect(splitQuantity(0)).toEqual([]);
    expect(splitQuantity(5, 2)).toEqual([2, 2, 1]);
  });
});
