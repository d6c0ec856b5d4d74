/**
 * MCP benchmark (`npm run bench mcp`): tool-call latency of the MCP face (issue 26).
 *
 * The emulator at `--scale` BENCH_SCALE (1000) in its own process; every account provisioned,
 * every smart-licensed cluster stored and a first full sync run (not timed). Then, measured
 * from the official SDK's Client in this process, BENCH_N (300) calls per transport, one at a
 * time, round-robin over a set of read tools:
 *   1. Streamable HTTP: `smartlic serve` with /mcp enabled (its own process);
 *   2. stdio: `smartlic mcp` (its own process).
 * Printed: p50 / p99 / max per transport and per tool, with the load average beside them.
 * Environment: BENCH_SCALE, BENCH_N; BENCH_KEEP=1 keeps the database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedChatBenchEstate } from './chat-bench-estate.ts';
import { child, cli } from './cli-child.ts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadavg } from 'node:os';

const SCALE = Number(process.env.BENCH_SCALE ?? 1000);
const N = Number(process.env.BENCH_N ?? 300);
const out = (s: string) => process.stdout.write(`${s}\n`);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;

async function main(): Promise<void> {
  const t0 = performance.now();
  const emu = child(['emulator', '--scale', String(SCALE), '--frozen'], { ...process.env });
  const ready = JSON.parse((await emu.line(/^\{.*\}$/))[0]) as {
    cloud: { tokenUrl: string; apiBase: string; devicesApiBase: string };
    onprem: { tokenUrl: string; apiBase: string };
    admin: string;
    clients: { for: 'cloud' | 'onprem'; account: string; clientId: string; clientSecret: string }[];
  };
  const dir = mkdtempSync(join(tmpdir(), 'smartlic-mcpbench-'));
  const dbPath = join(dir, 'smartlic.db');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SMARTLIC_DB: dbPath,
    SMARTLIC_SECRET_KEY: 'mcp bench passphrase',
    SMARTLIC_EMULATOR: 'false',
    SMARTLIC_CSSM_TOKEN_URL: ready.cloud.tokenUrl,
    SMARTLIC_CSSM_API_BASE: ready.cloud.apiBase,
    SMARTLIC_CSSM_DEVICES_API_BASE: ready.cloud.devicesApiBase,
    SMARTLIC_LOG_LEVEL: 'error',
    SMARTLIC_HTTP_CONCURRENCY: '32',
  };
  let serve: ReturnType<typeof child> | undefined;
  try {
    // ---- set-up (not timed): provision, store clusters, first full sync
    const { h, repos, services, accounts } = await seedChatBenchEstate(ready, env, dbPath, {
      scale: SCALE,
      t0,
      out,
    });
    const sampleCluster = (await repos.clusters.list())[0]!.name;
    const va = (await repos.virtualAccounts.listAll())[0]!;
    const vaLabel = `${accounts.find((a) => a.id === va.smartAccountId)!.domain}/${va.name}`;
    const secret = (await services.mcpTokens.create('bench', 'viewer', 'bench')).secret;
    await services.close();
    await h.close();

    const calls: { name: string; arguments: Record<string, unknown> }[] = [
      { name: 'status', arguments: {} },
      { name: 'cluster', arguments: { cluster: sampleCluster } },
      { name: 'vas', arguments: {} },
      { name: 'accounts', arguments: {} },
      { name: 'alerts', arguments: {} },
      { name: 'usage', arguments: { va: vaLabel } },
      { name: 'clusters', arguments: { failed: true } },
      { name: 'tokens', arguments: { 'va-or-account': vaLabel } },
    ];
    const measure = async (label: string, c: Client) => {
      const all: number[] = [];
      const per = new Map<string, number[]>();
      // Warm-up: the first call of each tool compiles its read path.
      for (const call of calls) await c.callTool(call);
      for (let i = 0; i < N; i++) {
        const call = calls[i % calls.length]!;
        const t = performance.now();
        const r = await c.callTool(call);
        const ms = performance.now() - t;
        if (r.isError)
          throw new Error(`${call.name} failed: ${JSON.stringify(r.content).slice(0, 300)}`);
        all.push(ms);
        per.set(call.name, [...(per.get(call.name) ?? []), ms]);
      }
      out(
        `${label}: ${N} calls, ${fmt(all)} (load average ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')})`,
      );
      for (const [name, xs] of per) out(`  ${name.padEnd(9)} ${fmt(xs)}`);
    };

    // ---- 1. Streamable HTTP on the serve listener
    serve = child(['serve'], {
      ...env,
      SMARTLIC_HTTP_PORT: '0',
      SMARTLIC_MCP_HTTP: 'true',
      SMARTLIC_SYNC_ENABLED: 'false',
    });
    const base = (await serve.line(/"http":"(http:[^"]+)"/))[1]!;
    const http = new Client({ name: 'bench-http', version: '1' });
    await http.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${secret}` } },
      }),
    );
    await measure('Streamable HTTP (smartlic serve, /mcp)', http);
    await http.close();
    serve.proc.kill('SIGTERM');
    await new Promise((r) => serve!.proc.once('exit', r));
    serve = undefined;

    // ---- 2. stdio
    const stdio = new Client({ name: 'bench-stdio', version: '1' });
    await stdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [cli, 'mcp'],
        env: { ...(env as Record<string, string>), SMARTLIC_MCP_TOKEN: secret },
        stderr: 'inherit',
      }),
    );
    await measure('stdio (smartlic mcp)', stdio);
    await stdio.close();
  } finally {
    if (serve) serve.proc.kill('SIGTERM');
    emu.proc.kill('SIGTERM');
    if (process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    else out(`database kept: ${dbPath}`);
  }
}

await main();
