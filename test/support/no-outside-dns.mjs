// Preload of the "the lab never calls Cisco" test (`node --import <this file> bin/smartlic.js …`):
// every name lookup other than localhost fails with ENOTFOUND, as on a machine with no route out,
// and is appended to the file named by SMARTLIC_TEST_DNS_LOG (one name per line), so a test can
// say which outside host a process tried to reach. IP literals (127.0.0.1) need no lookup.
// Plain JavaScript: it runs before the TypeScript loader. Real: Node's own dns module, patched
// in place, so net, tls, undici and fetch all resolve through it.
import { appendFileSync } from 'node:fs';
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';

const log = process.env.SMARTLIC_TEST_DNS_LOG;
const LOCAL = new Set(['localhost', '127.0.0.1', '::1']);

function refuse(hostname) {
  if (log) appendFileSync(log, `${process.pid} ${hostname}\n`);
  const err = new Error(
    `getaddrinfo ENOTFOUND ${hostname} (outside names are refused in this test)`,
  );
  err.code = 'ENOTFOUND';
  err.errno = -3008;
  err.syscall = 'getaddrinfo';
  err.hostname = hostname;
  return err;
}

const realLookup = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  if (LOCAL.has(String(hostname).toLowerCase()))
    return realLookup.call(dns, hostname, options, callback);
  const err = refuse(hostname);
  process.nextTick(() => cb(err));
  return {};
};

const realPromisesLookup = dns.promises.lookup;
dns.promises.lookup = async function lookup(hostname, options) {
  if (LOCAL.has(String(hostname).toLowerCase()))
    return realPromisesLookup.call(dns.promises, hostname, options);
  throw refuse(hostname);
};

// Named ESM imports of node:dns taken after this point see the patched functions too.
syncBuiltinESMExports();
