/**
 * The demo lab of `smartlic start`: the embedded emulator, with its state kept beside the
 * database so that a restart finds the lab as it was left.
 *
 * - `<db>.lab.json`: the port, scenario, seed and the simulated time the lab started at;
 * - `<db>.lab.journal`: one JSON line per request that may have changed the lab (what was
 *   registered, tokens created, clock moves through the admin API), with its simulated time.
 *
 * On the next start the emulator comes back on the same port (so the account and cluster URLs
 * stored in the database stay valid), replays the journal on the same scenario and seed, and
 * its clock continues with the offset from the wall clock it had. The journal holds the lab's
 * own demo credentials (never an operator's), so the files are written 0600.
 */
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import type { Config } from '../../core/config.ts';
import { SmartlicError } from '../../core/errors.ts';
import { DAY_MS } from '../../core/domain/lifecycle.ts';
import { diskFullError, isNoSpace } from '../../core/store/index.ts';
import type { JournalEntry, LocalEmulator } from '../../emulator/index.ts';

const metaSchema = z.object({
  version: z.literal(1),
  port: z.number().int().min(1).max(65535),
  scenario: z.string().min(1),
  seed: z.number().int(),
  /** A generated estate of this many customers (`start --scale`) instead of the scenario. */
  scale: z.number().int().min(1).optional(),
  /** Simulated time the lab started at (ISO); with a past, the scenario's today. */
  start: z.string(),
  /**
   * The lab began `days` before `start` and lives through that past at the first start
   * (lab-history.ts); `done` once smartlic synced it up to the present.
   */
  history: z.object({ days: z.number().int().min(1), done: z.boolean() }).optional(),
  /** Simulated minus wall-clock time (ms) when the lab was last stopped. */
  offsetMs: z.number().default(0),
  /** Wall-clock time (ms) the offset was taken at. */
  savedAt: z.number().default(0),
});
type LabMeta = z.infer<typeof metaSchema>;

const entrySchema = z.object({
  t: z.number(),
  /** Wall-clock time (ms) it was served at. */
  w: z.number(),
  method: z.string(),
  url: z.string(),
  headers: z.record(z.string()),
  body: z.string(),
});

export function labPaths(dbPath: string): { meta: string; journal: string } {
  return { meta: `${dbPath}.lab.json`, journal: `${dbPath}.lab.journal` };
}

export interface Lab {
  emu: LocalEmulator;
  /** True when an earlier lab was restored (its state replayed), false when it is new. */
  resumed: boolean;
  /** Requests replayed. */
  replayed: number;
  /** The generated estate's size (`start --scale`), when the lab is one. */
  scale?: number | undefined;
  seed: number;
  /** The past the lab was started with (its clock began `days` before `end`, ms). */
  history?: { days: number; end: number; done: boolean } | undefined;
  /** Moves the lab's clock (the admin API, so a restarted lab replays the move). */
  setClock(at: number, opts?: { freeze?: boolean }): Promise<void>;
  /** Records that smartlic synced the lab's past up to the present. */
  historyDone(): void;
  /** Saves the clock offset and stops the emulator. */
  close(): Promise<void>;
}

/** A write of a lab file; out of room it says the disk is full (DISK_FULL), where and how much. */
function labWrite(path: string, what: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    throw isNoSpace(e) ? diskFullError(path, e, what) : e;
  }
}

function readMeta(path: string): LabMeta | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const r = metaSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function readJournal(path: string): (JournalEntry & { w: number })[] {
  if (!existsSync(path)) return [];
  const out: (JournalEntry & { w: number })[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const r = entrySchema.safeParse(JSON.parse(line));
      if (r.success) out.push(r.data);
    } catch {
      // A line torn by a crash mid-write: the last one at most; it is skipped.
    }
  }
  return out;
}

/**
 * Starts the lab for the database at `dbPath`. `reuse` says whether the database still holds
 * what an earlier lab provisioned (then the saved lab is restored; otherwise a new one starts
 * and the old lab files are replaced).
 */
export async function openLab(opts: {
  dbPath: string;
  config: Config;
  clock: Clock;
  reuse: boolean;
  persist: boolean;
  /** `start --scale`: a generated estate of this many customers. */
  scale?: number;
  /** `start --seed`: instead of emulator.seed. */
  seed?: number;
  /**
   * A new demo lab begins this many days ago, its clock still, for smartlic to live through
   * that past (lab-history.ts). Ignored for a restored lab, a generated estate and a file.
   */
  historyDays?: number;
}): Promise<Lab> {
  const { startEmulator } = await import('../../emulator/index.ts');
  const paths = labPaths(opts.dbPath);
  const e = opts.config.emulator;
  const saved = opts.persist && opts.reuse ? readMeta(paths.meta) : undefined;
  if (saved && opts.scale !== undefined && saved.scale !== opts.scale) {
    // The database holds what the earlier lab provisioned: another estate would not match it.
    throw new SmartlicError({
      code: 'INPUT',
      message: `${opts.dbPath} was provisioned from ${saved.scale !== undefined ? `a lab of --scale ${saved.scale}` : `the ${saved.scenario} scenario`}, not --scale ${opts.scale}`,
      action: `start without --scale to use that lab again, or give a new database (SMARTLIC_DB=…) for an estate of ${opts.scale}`,
    });
  }
  const seed = opts.seed ?? e.seed;
  const wall = () => opts.clock.now().getTime();
  const journal = opts.persist
    ? (entry: JournalEntry) =>
        labWrite(paths.journal, "the lab's journal", () =>
          appendFileSync(paths.journal, `${JSON.stringify({ ...entry, w: wall() })}\n`, {
            mode: 0o600,
          }),
        )
    : undefined;

  let emu: LocalEmulator;
  let replayed = 0;
  let created = 0;
  if (saved) {
    const entries = readJournal(paths.journal);
    const last = entries.at(-1);
    // The lab's clock keeps its distance from the wall clock (a clock advanced by 30 days
    // stays 30 days ahead); the latest word on that distance wins.
    const offset = last && last.w > saved.savedAt ? last.t - last.w : saved.offsetMs;
    try {
      emu = await startEmulator({
        port: saved.port,
        scenario: saved.scenario,
        seed: saved.seed,
        ...(saved.scale !== undefined ? { scale: saved.scale } : {}),
        now: saved.start,
        ...(saved.history ? { historyDays: saved.history.days } : {}),
        replay: entries,
        resumeAt: wall() + offset,
        ...(journal ? { journal } : {}),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new SmartlicError({
          code: 'EMULATOR',
          message: `the lab's emulator cannot come back on 127.0.0.1:${saved.port} (from ${paths.meta}): the port is taken`,
          action: `stop what listens on port ${saved.port}, or start a new lab: remove ${opts.dbPath}, ${paths.meta} and ${paths.journal}`,
          cause: err,
        });
      }
      throw err;
    }
    replayed = entries.length;
  } else {
    if (opts.persist) rmSync(paths.journal, { force: true });
    // Only the demo has a scripted past; a generated estate would take too long to sync daily.
    const historyDays =
      opts.scale === undefined && e.scenario === 'demo' ? (opts.historyDays ?? 0) : 0;
    emu = await startEmulator({
      port: e.port,
      scenario: e.scenario,
      seed,
      ...(opts.scale !== undefined ? { scale: opts.scale } : {}),
      // The lab's today is smartlic's own now, so dates agree on both sides; with a past, its
      // clock starts that many days earlier and stands still until smartlic moves it.
      now: opts.clock.now(),
      ...(historyDays > 0 ? { historyDays, frozen: true } : {}),
      ...(journal ? { journal } : {}),
    });
    created = historyDays;
  }
  const meta: LabMeta = saved ?? {
    version: 1,
    port: Number(new URL(emu.baseUrl).port),
    scenario: e.scenario,
    seed,
    ...(opts.scale !== undefined ? { scale: opts.scale } : {}),
    start: new Date(emu.now() + created * DAY_MS).toISOString(),
    ...(created > 0 ? { history: { days: created, done: false } } : {}),
    offsetMs: 0,
    savedAt: 0,
  };
  const save = () => {
    if (!opts.persist) return;
    meta.savedAt = wall();
    meta.offsetMs = emu.now() - meta.savedAt;
    labWrite(paths.meta, "the lab's state", () =>
      writeFileSync(paths.meta, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 }),
    );
  };
  save();
  return {
    emu,
    resumed: saved !== undefined,
    replayed,
    scale: meta.scale,
    seed: meta.seed,
    history: meta.history && {
      days: meta.history.days,
      end: Date.parse(meta.start),
      done: meta.history.done,
    },
    async setClock(at, o = {}) {
      const res = await fetch(`${emu.baseUrl}/__emulator/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          set: new Date(at).toISOString(),
          ...(o.freeze !== undefined ? { freeze: o.freeze } : {}),
        }),
      });
      const text = await res.text();
      if (!res.ok) {
        throw new SmartlicError({
          code: 'EMULATOR',
          message: `the lab's clock did not move to ${new Date(at).toISOString()}: ${res.status} ${text.slice(0, 200)}`,
          action: `start a new lab: remove ${opts.dbPath}, ${paths.meta} and ${paths.journal}`,
        });
      }
    },
    historyDone() {
      if (!meta.history) return;
      meta.history.done = true;
      save();
    },
    async close() {
      save();
      await emu.close();
    },
  };
}
