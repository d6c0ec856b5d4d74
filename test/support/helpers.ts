/** Small helpers shared by tests. Nothing here fakes product code. */
import { PassThrough, Readable } from 'node:stream';
import { expect } from 'vitest';
import { main } from '../../bin/smartlic.ts';
import { SmartlicError } from '../../core/errors.ts';
import type { RunningEmulator } from '../../emulator/index.ts';

/** Awaits `p`, expects it to reject with a SmartlicError, and returns that error. */
export async function rejection(p: Promise<unknown>): Promise<SmartlicError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SmartlicError);
    return e as SmartlicError;
  }
  throw new Error('expected a rejection');
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the real CLI entry (`main` of bin/smartlic.ts) with in-memory stdio. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  stdinText = '',
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(argv, {
    stdout,
    stderr,
    stdin: Readable.from([stdinText]),
    env,
    isTty: false,
  });
  return { code, out, err };
}

/** The settings that point a `smartlic` process at the emulator's CSSM cloud. */
export function emulatorCloudEnv(emu: RunningEmulator): NodeJS.ProcessEnv {
  return {
    SMARTLIC_CSSM_TOKEN_URL: emu.ready.cloud.tokenUrl,
    SMARTLIC_CSSM_API_BASE: emu.ready.cloud.apiBase,
    SMARTLIC_CSSM_DEVICES_API_BASE: emu.ready.cloud.devicesApiBase,
  };
}

/**
 * One CSSM license record as `POST v1/accounts/{domain}/licenses` answers it (DOMAIN §2's
 * sample shape): license `L<i>` in VA `ops`, 10 owned (term), 1 in use.
 */
export function cssmLicenseRecord(i: number, quantity: unknown = 10): Record<string, unknown> {
  return {
    license: `L${i}`,
    virtualAccount: 'ops',
    quantity,
    inUse: 1,
    available: 9,
    reserved: 0,
    pendingQuantity: 0,
    status: 'In Compliance',
    billingType: 'PREPAID',
    isPortable: false,
    ahaApps: false,
    licenseSubstitutions: [],
    licenseDetails: [
      {
        licenseType: 'TERM',
        quantity: 10,
        startDate: '2025-05-20',
        endDate: '2028-05-19',
        subscriptionId: 'Sub1',
        status: 'ACTIVE',
      },
    ],
  };
}
