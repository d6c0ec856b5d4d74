/**
 * The lab the CLI read and VA-removal tests share: the emulator (demo scenario, frozen clock)
 * on loopback, a temp SQLite file (or a fresh PostgreSQL database of test/support/pg.ts when
 * `store` is 'postgres'), the nimbus HCS account provisioned through the real CLI,
 * va-globex in HCS mode with globex-cucm-01 added and assigned to it, and one sync.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/index.ts';
import { emulatorCloudEnv, runCli, type CliRun } from '../support/helpers.ts';
import { extraTestDatabaseUrl, type StoreKind } from '../support/pg.ts';

export const HCS = 'nimbus-hcs.example.com';

export interface GlobexLab {
  emu: RunningEmulator;
  dir: string;
  env: NodeJS.ProcessEnv;
  run(argv: string[], stdin?: string): Promise<CliRun>;
  close(): Promise<void>;
}

export async function globexLab(prefix: string, store: StoreKind = 'sqlite'): Promise<GlobexLab> {
  const emu = await startEmulator({ port: 0, scenario: 'demo', frozen: true });
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = {
    SMARTLIC_DB: join(dir, 'smartlic.db'),
    ...(store === 'postgres'
      ? {
          SMARTLIC_DATABASE_URL: await extraTestDatabaseUrl('lab'),
          // PostgreSQL takes the secret key from the environment only.
          SMARTLIC_SECRET_KEY: 'ef'.repeat(32),
        }
      : {}),
    ...emulatorCloudEnv(emu),
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_HTTP_RETRIES: '1',
  };
  const run = (argv: string[], stdin = '') => runCli(argv, env, stdin);
  const c = emu.ready.clients.find((x) => x.for === 'cloud' && x.account === HCS)!;
  const add = await run(
    ['account', 'add', '--domain', HCS, '--client-id', c.clientId, '--secret-stdin'],
    `${c.clientSecret}\n`,
  );
  expect(add.code).toBe(0);
  const st = (await (await fetch(`${emu.baseUrl}/__emulator/state`)).json()) as {
    clusters: { name: string; baseUrl: string; credentials: { password: string } }[];
  };
  const g = st.clusters.find((x) => x.name === 'globex-cucm-01')!;
  expect((await run(['va', 'mode', `${HCS}/va-globex`, 'HCS', '--yes'])).code).toBe(0);
  const r = await run(
    [
      'cluster',
      'add',
      '--customer',
      'Globex',
      '--name',
      'globex-cucm-01',
      '--type',
      'CUCM',
      '--version',
      '15.0.1.10000-19',
      '--publisher',
      g.baseUrl,
      '--admin-user',
      'administrator',
      '--password-stdin',
    ],
    `${g.credentials.password}\n`,
  );
  expect(r.code).toBe(0);
  expect((await run(['cluster', 'assign', 'globex-cucm-01', `${HCS}/va-globex`])).code).toBe(0);
  expect((await run(['sync'])).code).toBe(0);
  return {
    emu,
    dir,
    env,
    run,
    close: async () => {
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
