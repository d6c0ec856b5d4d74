/** Resolves a scenario name or file into a validated scenario. */
import { readFileSync } from 'node:fs';
import { scenarioSchema, type Scenario } from '../model/scenario-schema.ts';
import { demoScenario, emptyScenario, scaleScenario } from './generate.ts';

export class ScenarioError extends Error {}

export interface ScenarioOptions {
  seed?: number;
  scale?: number;
  now?: string;
  /** The demo with a past of this many days before `now` (history.ts); others ignore it. */
  historyDays?: number;
}

/**
 * `demo`, `empty`, a file path, or an already parsed object. `scale` (N > 0) replaces the
 * named scenario with N generated customers.
 */
export function resolveScenario(
  spec: string | object | undefined,
  o: ScenarioOptions = {},
): Scenario {
  let raw: unknown;
  const gen = { seed: o.seed ?? 1, ...(o.now ? { now: o.now } : {}) };
  if (o.scale !== undefined && o.scale > 0) raw = scaleScenario(o.scale, gen);
  else if (spec === undefined || spec === 'demo')
    raw = demoScenario({ ...gen, ...(o.historyDays ? { historyDays: o.historyDays } : {}) });
  else if (spec === 'empty') raw = emptyScenario(o.now);
  else if (typeof spec === 'string') {
    try {
      raw = JSON.parse(readFileSync(spec, 'utf8'));
    } catch (e) {
      throw new ScenarioError(`cannot read scenario ${spec}: ${(e as Error).message}`);
    }
  } else raw = spec;
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new ScenarioError(
      `invalid scenario: ${first ? `${first.path.join('.')}: ${first.message}` : r.error.message}`,
    );
  }
  if (o.now && typeof spec !== 'undefined' && spec !== 'demo' && spec !== 'empty')
    r.data.now = o.now;
  return r.data;
}
