/**
 * Redaction benchmark (`node --import tsx test/bench/redact.bench.ts`, or `npm run bench redact`).
 *
 * Real: core/redact.ts, nothing faked. For 10,000 and 30,000 known secrets (registration-token
 * shaped, sharing a long head as Cisco's do, each registered in its four forms): the time to
 * register them all, then the time to redact a typical log line (no secret in it) and an error
 * text holding three of them, each 10,000 times. Before the one-pass matcher, registering
 * re-sorted everything known on each insert and every redaction tested every secret
 * (issue 23: 10,000 secrets 2.3 s to register, 30,000 secrets 60 s).
 */
import { loadavg } from 'node:os';
import { forgetSecrets, knownSecretForms, redactText, registerSecret } from '../../core/redact.ts';

const out = (s: string) => process.stdout.write(`${s}\n`);
const REPS = 10_000;

function token(i: number): string {
  // Cisco's tokens are base64 of a structured value: a long common head, then what differs.
  return `NjRkNGQxYjEtYmM3Ni00ZjQ4LWE4ZmItZTY${i.toString(36).padStart(6, '0')}%3D%3D${(i * 7919).toString(16)}`;
}

function run(n: number): void {
  forgetSecrets();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) registerSecret(token(i));
  const registerMs = performance.now() - t0;
  const line =
    '{"level":"info","msg":"synced","account":"acme.example","vas":12,"clusters":96,"ms":1830}';
  const error = `CSSM refused token ${token(1)} (also ${token(n - 1)}; "${token(n >> 1)}")`;
  const t1 = performance.now();
  for (let i = 0; i < REPS; i++) redactText(line);
  const lineMs = performance.now() - t1;
  const t2 = performance.now();
  let redacted = '';
  for (let i = 0; i < REPS; i++) redacted = redactText(error);
  const errorMs = performance.now() - t2;
  if (redacted.includes(token(1))) throw new Error('a secret was not redacted');
  out(
    `${n} secrets (${knownSecretForms()} forms): register ${registerMs.toFixed(0)} ms (${((registerMs * 1000) / n).toFixed(1)} µs each); ` +
      `redact a ${line.length}-char log line ${((lineMs * 1000) / REPS).toFixed(2)} µs, ` +
      `a ${error.length}-char text with 3 secrets ${((errorMs * 1000) / REPS).toFixed(2)} µs`,
  );
}

out(
  `redact bench: load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const n of [10_000, 30_000]) run(n);
