/**
 * Admin API (emulator extension, never faulted) under `/__emulator/`: the simulated clock,
 * faults, the whole state, scenario loading, and operator-side cluster changes.
 */
import { z } from 'zod';
import { LICENSE_TYPE_IDS } from '../../core/domain/catalog.ts';
import { faultSchema } from '../http/faults.ts';
import { BadRequest, EXTENSION, json, parseJsonBody, segments, type Ctx } from '../http/context.ts';
import { clusterState, inventoryState, worldState } from '../model/state.ts';
import { iso, parseDuration, parseTime } from '../util/time.ts';
import type { EmulatorCore } from '../server.ts';

export const ADMIN_PREFIX = '/__emulator/';

const clockBody = z
  .object({
    advance: z.string().optional(),
    set: z.string().optional(),
    freeze: z.boolean().optional(),
  })
  .strict();

const scenarioBody = z
  .object({
    name: z.string().optional(),
    file: z.string().optional(),
    scenario: z.record(z.unknown()).optional(),
    seed: z.number().int().optional(),
    scale: z.number().int().positive().optional(),
    now: z.string().optional(),
  })
  .passthrough();

const clusterPatch = z
  .object({
    demand: z.record(z.enum(LICENSE_TYPE_IDS), z.number().int().nonnegative()).optional(),
    version: z.string().optional(),
    cutoff: z.boolean().optional(),
    /** The product's license mode, as installing a mode COP file on its publisher sets it. */
    licenseMode: z.enum(['Enterprise', 'HCS', 'HCS-LE']).optional(),
  })
  .strict();

export async function handleAdmin(ctx: Ctx, core: EmulatorCore): Promise<void> {
  const s = segments(ctx.path, ADMIN_PREFIX);
  const m = ctx.method;
  const w = ctx.world;
  const reply = (status: number, body: unknown): void => json(ctx, status, body, EXTENSION);

  switch (s[0] ?? '') {
    case 'state':
      if (m === 'GET') return reply(200, worldState(w, ctx.baseUrl, core.faults.config));
      break;
    case 'inventory':
      if (m === 'GET') return reply(200, inventoryState(w, ctx.baseUrl));
      break;
    case 'ready':
      if (m === 'GET') return reply(200, core.ready());
      break;
    case 'clock':
      if (m === 'GET') return reply(200, { now: iso(w.now()), frozen: w.isFrozen });
      if (m === 'POST') {
        const r = clockBody.safeParse(parseJsonBody(ctx));
        if (!r.success)
          throw new BadRequest(
            'Expected {"advance":"P30D"} or {"set":"<ISO time>"} (and/or {"freeze":true}).',
          );
        let events = 0;
        if (r.data.advance !== undefined) {
          const ms = parseDuration(r.data.advance);
          if (ms === undefined) throw new BadRequest(`Not an ISO-8601 duration: ${r.data.advance}`);
          events += w.advance(ms);
        }
        if (r.data.set !== undefined) {
          let at: number;
          try {
            at = parseTime(r.data.set);
          } catch {
            throw new BadRequest(`Not an ISO time: ${r.data.set}`);
          }
          events += w.set(at);
        }
        if (r.data.freeze !== undefined) w.freeze(r.data.freeze);
        return reply(200, { now: iso(w.now()), frozen: w.isFrozen, events });
      }
      break;
    case 'faults':
      if (s[1] === 'tally') {
        if (m === 'GET') return reply(200, core.faults.tally);
        break;
      }
      if (m === 'GET') return reply(200, core.faults.config);
      if (m === 'POST') {
        const r = faultSchema.safeParse(parseJsonBody(ctx));
        if (!r.success) {
          const i = r.error.issues[0];
          throw new BadRequest(
            `Invalid faults: ${i ? `${i.path.join('.')}: ${i.message}` : r.error.message}`,
          );
        }
        w.catchUp();
        core.setFaults(r.data);
        return reply(200, core.faults.config);
      }
      if (m === 'DELETE') {
        w.catchUp();
        core.clearFaults();
        return reply(200, core.faults.config);
      }
      break;
    case 'scenario':
      if (m === 'POST') {
        const raw = parseJsonBody(ctx);
        const r = scenarioBody.safeParse(raw);
        if (!r.success)
          throw new BadRequest(
            'Expected {"name":"demo"} or {"scenario":{…}} with optional seed and scale.',
          );
        const b = r.data;
        const looksLikeScenario =
          typeof raw === 'object' &&
          raw !== null &&
          ('smartAccounts' in raw || 'clusters' in raw || 'schema' in raw);
        const spec = b.scenario ?? (looksLikeScenario ? raw : (b.file ?? b.name ?? 'demo'));
        await core.loadScenario(spec, { seed: b.seed, scale: b.scale, now: b.now });
        return reply(200, core.ready());
      }
      break;
    case 'clusters': {
      const c = s[1] ? w.clusters.get(s[1]) : undefined;
      if (!c) throw new BadRequest(`No such cluster: ${s[1] ?? ''}`, 404);
      if (m === 'GET') return reply(200, clusterState(w, c, ctx.baseUrl));
      if (m === 'PATCH' || m === 'POST') {
        const r = clusterPatch.safeParse(parseJsonBody(ctx));
        if (!r.success)
          throw new BadRequest(
            'Expected {demand?: {<license type>: n}, version?, cutoff?, licenseMode?}.',
          );
        const { licenseMode, ...rest } = r.data;
        w.patchCluster(c, rest);
        if (licenseMode) w.setLicenseMode(c, licenseMode);
        return reply(200, clusterState(w, c, ctx.baseUrl));
      }
      break;
    }
    default:
      break;
  }
  reply(404, { error: `No such admin endpoint: ${m} ${ctx.path}` });
}
