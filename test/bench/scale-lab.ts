/**
 * What every scale benchmark starts from: the emulator at `--scale N` in a child process (so
 * its CPU does not count against the process measured), and every one of its accounts
 * provisioned into the fixture without a sync. Real: the emulator CLI, HTTP on 127.0.0.1,
 * the provisioning service.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RunningEmulator } from '../../emulator/index.ts';
import type { Fixture } from '../integration/sync-fixture.ts';

/** The emulator's process id comes back too, so a bench can read the emulator's CPU time. */
export async function spawnScaleEmulator(
  scale: number,
): Promise<RunningEmulator & { pid: number }> {
  const cli = fileURLToPath(new URL('../../bin/smartlic.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cli, 'emulator', '--scale', String(scale), '--frozen'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise<RunningEmulator['ready']>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    lines.once('line', (l) => resolve(JSON.parse(l) as RunningEmulator['ready']));
  });
  return {
    pid: child.pid ?? 0,
    baseUrl: ready.baseUrl,
    ready,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Provisions every account the emulator offers (16 at a time, no sync); returns how many. */
export async function provisionAll(fx: Fixture): Promise<number> {
  const clients = fx.emu.ready.clients;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const c = clients[next++];
      if (!c) return;
      await fx.services.provision.provisionSmartAccount(
        c.for === 'cloud'
          ? {
              source: 'cssm',
              domain: c.account,
              clientId: c.clientId,
              clientSecret: c.clientSecret,
              requestedBy: 'bench',
              sync: false,
            }
          : {
              source: 'satellite',
              domain: `${c.account}.local`,
              localAccount: c.account,
              tokenUrl: fx.emu.ready.onprem.tokenUrl,
              apiBase: fx.emu.ready.onprem.apiBase,
              clientId: c.clientId,
              clientSecret: c.clientSecret,
              requestedBy: 'bench',
              sync: false,
            },
      );
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return clients.length;
}
