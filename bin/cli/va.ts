/**
 * `smartlic va …`: what smartlic keeps per virtual account (CSSM has no such fields): the
 * license mode and the transport. Both change only while no cluster is assigned.
 */
import {
  parseLicenseMode,
  parseTransportMode,
  resolveVa,
} from '../../core/services/virtual-accounts.service.ts';
import { defineCommand, defineGroup, inputError, splitVaRef } from './common.ts';
import { openRuntime } from './runtime.ts';
import type { CliCommand } from './types.ts';

const mode = defineCommand({
  name: 'va mode',
  summary: "set a VA's license mode (Enterprise, HCS, HCS-LE)",
  args: '<sa-domain> <va> Enterprise|HCS|HCS-LE',
  arity: [3, 3],
  options: {},
  json: '{domain, va, licenseMode, job}',
  description: `Refused while clusters are assigned to the VA (VA_CLUSTERS_ASSIGNED); a VA without a mode
cannot take clusters (SLM1014). A VA name containing "/" works as it is.`,
  examples: ['smartlic va mode nimbus-hcs.example.com va-hcs-operational HCS'],
  async run({ positionals }, c) {
    const [domain, va, m] = positionals as [string, string, string];
    const licenseMode = parseLicenseMode(m);
    const rt = await openRuntime(c);
    try {
      const r = await rt.services.virtualAccounts.setLicenseMode({
        domain,
        va,
        mode: licenseMode,
        requestedBy: c.by,
      });
      if (c.out.json) c.out.data({ domain, va, licenseMode, job: r.job });
      else
        c.out.print(
          `${domain}/${va}: license mode ${licenseMode} — job ${r.job.id} ${r.job.status}`,
        );
      return 0;
    } finally {
      await rt.close();
    }
  },
});

const transport = defineCommand({
  name: 'va transport',
  summary: 'set how the clusters of a VA (or account) reach CSSM',
  args: '<sa-domain> [<va>] Direct|Proxy|Satellite',
  arity: [2, 3],
  options: {
    'proxy-host': {
      type: 'string',
      value: 'H',
      help: 'Proxy: the proxy host (no scheme, no credentials)',
    },
    'proxy-port': { type: 'string', value: 'P', help: 'Proxy: the proxy port (default 3128)' },
    'satellite-url': {
      type: 'string',
      value: 'URL',
      help: 'Satellite: https://<satellite fqdn>/SmartTransport',
    },
  },
  json: '{domain, va, transport, job}',
  description: `Sets the transport the clusters of the VA (or, without <va>, of the whole account) use to
reach CSSM; refused while clusters are assigned (CAA1041). Proxy needs --proxy-host (no proxy
authentication towards CSSM); Satellite needs --satellite-url https://<fqdn>/SmartTransport.`,
  examples: [
    'smartlic va transport nimbus-hcs.example.com va-hcs-operational Proxy --proxy-host proxy.example.com --proxy-port 3128',
    'smartlic va transport la-initech Satellite --satellite-url https://sat.example.com/SmartTransport',
  ],
  async run({ values, positionals }, c) {
    const domain = positionals[0]!;
    const va = positionals.length === 3 ? positionals[1] : undefined;
    const m = parseTransportMode(positionals[positionals.length - 1]!);
    const help = 'see "smartlic va transport --help"';
    if (m === 'Proxy' && !values['proxy-host']) {
      throw inputError('the Proxy transport needs --proxy-host H (and --proxy-port P)', help);
    }
    if (m !== 'Proxy' && (values['proxy-host'] || values['proxy-port'])) {
      throw inputError(`--proxy-host / --proxy-port go with Proxy, not ${m}`, help);
    }
    if (m === 'Satellite' && !values['satellite-url']) {
      throw inputError(
        'the Satellite transport needs --satellite-url https://<fqdn>/SmartTransport',
        help,
      );
    }
    if (m !== 'Satellite' && values['satellite-url']) {
      throw inputError(`--satellite-url goes with Satellite, not ${m}`, help);
    }
    let port: number | undefined;
    if (values['proxy-port'] !== undefined) {
      port = Number(values['proxy-port']);
      if (!/^\d{1,5}$/.test(values['proxy-port']) || port < 1 || port > 65535) {
        throw inputError(
          `--proxy-port must be a port number 1–65535, got "${values['proxy-port']}"`,
          help,
        );
      }
    }
    const rt = await openRuntime(c);
    try {
      const settings = {
        mode: m,
        ...(values['proxy-host']
          ? { proxyHost: values['proxy-host'], proxyPort: port ?? 3128 }
          : {}),
        ...(values['satellite-url'] ? { satelliteUrl: values['satellite-url'] } : {}),
      };
      const r = await rt.services.virtualAccounts.setTransport({
        domain,
        ...(va ? { va } : {}),
        transport: settings,
        requestedBy: c.by,
      });
      if (c.out.json) c.out.data({ domain, va: va ?? null, transport: settings, job: r.job });
      else c.out.print(`${r.job.statusInformation ?? 'ok'} — job ${r.job.id} ${r.job.status}`);
      return 0;
    } finally {
      await rt.close();
    }
  },
});

const remove = defineCommand({
  name: 'va remove',
  summary: 'remove a virtual account from smartlic by hand (nothing changes in CSSM)',
  args: '<sa-domain>/<va>',
  arity: [1, 1],
  options: {
    yes: { type: 'boolean', help: 'confirm: its licenses, tokens and devices are removed' },
  },
  json: '{removed, missingSince, licenses, tokens, devices, stillListed, job}',
  description: `The answer to a VA CSSM no longer lists (see the va-missing alert): its license lines, tokens
and devices as smartlic stored them are removed; its usage history stays (forecasts and trends
still read it). Refused while clusters are assigned to it (VA_CLUSTERS_ASSIGNED: move or
unassign them first) or while it is the operational VA auto-registration targets
(VA_AUTO_REGISTRATION_TARGET). Without --yes it only says what would be removed (exit 2). A VA
CSSM still lists comes back, empty, at the next sync. A job and an audit entry.`,
  examples: ['smartlic va remove nimbus-hcs.example.com/va-old --yes'],
  async run({ values, positionals }, c) {
    const ref = splitVaRef(positionals[0]!);
    if (!ref) {
      throw inputError(
        `"${positionals[0]}" does not name a virtual account`,
        'write it as <sa-domain>/<va>, e.g. nimbus-hcs.example.com/va-old',
      );
    }
    const rt = await openRuntime(c);
    try {
      if (values.yes !== true) {
        // An unknown name is NOT_FOUND (exit 2) before anything is asked.
        const { va } = await resolveVa(rt.repos, ref.domain, ref.va);
        const state = va.missingSince
          ? `CSSM no longer lists it (${missingText(va)})`
          : 'CSSM still lists it: the next sync brings it back, empty';
        throw inputError(
          `removing ${ref.domain}/${ref.va} deletes its licenses, tokens and devices from smartlic (its usage history stays; ${state})`,
          `add --yes to remove it: smartlic va remove ${ref.domain}/${ref.va} --yes`,
        );
      }
      const r = await rt.services.virtualAccounts.removeVirtualAccount({
        domain: ref.domain,
        va: ref.va,
        requestedBy: c.by,
      });
      if (c.out.json) {
        c.out.data({
          removed: `${ref.domain}/${r.va.name}`,
          missingSince: r.va.missingSince,
          licenses: r.licenses,
          tokens: r.tokens,
          devices: r.devices,
          stillListed: r.stillListed,
          job: r.job,
        });
      } else c.out.print(`${r.job.statusInformation ?? 'removed'} — job ${r.job.id}`);
      return 0;
    } finally {
      await rt.close();
    }
  },
});

/** "since 2026-12-01 (3 syncs)" for a VA CSSM no longer lists. */
function missingText(r: { missingSince: Date | null; missingSyncs: number }): string {
  if (r.missingSince === null) return '';
  const since = r.missingSince.toISOString().slice(0, 10);
  return `since ${since} (${r.missingSyncs} sync${r.missingSyncs === 1 ? '' : 's'})`;
}

export const vaCommand: CliCommand = defineGroup({
  name: 'va',
  summary: 'virtual accounts: list (summary), license mode, transport, remove',
  commands: [mode, transport, remove],
});
