// Where one account's sync spent its time (issue 23: a full sync's wall time explained): the
// SyncService's `timings` event, one per account sync, step by step.
// Real: the emulator over loopback HTTP with injected latency, SQLite in a temp file, every
// service (the alert evaluation among the afterSync hooks). Faked: nothing; one afterSync hook
// of the test's own that takes a known time, to see it counted where it belongs.
// Covers core/services/sync.service.ts (SyncTimings, the `timings` event).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncTimings } from '../../core/services/sync-types.ts';
import { provisionCloud, seedClusters, setup, type Fixture } from './sync-fixture.ts';

let fx: Fixture;
let accountId: number;

beforeAll(async () => {
  fx = await setup();
  accountId = (await provisionCloud(fx, 0)).account.id;
  await seedClusters(fx);
}, 60_000);

afterAll(async () => {
  await fx?.faults(null).catch(() => undefined);
  await fx?.close();
});

describe('sync timings', () => {
  it('says how long each step of an account sync took, the hooks apart', async () => {
    const seen: SyncTimings[] = [];
    fx.services.sync.events.on('timings', (t: SyncTimings) => seen.push(t));
    fx.services.hooks.afterSync.push(() => new Promise((r) => setTimeout(r, 120)));
    // Every request at least 40 ms: the reads take time the fetch step must show.
    await fx.faults({ latencyMs: 40, scope: 'all' });
    const o = await fx.services.sync.syncAccount(accountId, { requestedBy: 'test', full: true });
    await fx.faults(null);
    expect(o.status).toBe('Completed');
    expect(o.counts.clustersRead).toBeGreaterThan(0);
    expect(seen).toHaveLength(1);
    const t = seen[0]!;
    expect(t).toMatchObject({ accountId, domain: o.domain });
    // The reads: the VA list, then what is read per VA (its tokens, the licenses): at least two
    // requests one after another, and a third when the OAuth token is not cached (provisioning
    // fetched one, so it may be). Less a few ms: Node's timers may fire a millisecond early. A
    // fetch step that left the reads out would be ~0, reads all at once ~40. CI saw 111 ms.
    expect(t.fetch).toBeGreaterThanOrEqual(2 * 40 - 8);
    expect(t.write).toBeGreaterThan(0);
    expect(t.hooks).toBeGreaterThanOrEqual(119);
    // The steps before the hooks are the outcome's duration; the hooks come after it.
    const steps = t.lease + t.fetch + t.check + t.tokens + t.write;
    expect(steps).toBeLessThanOrEqual(o.durationMs + 1);
    expect(t.total).toBeGreaterThanOrEqual(steps + t.hooks);
    expect(t.total).toBeGreaterThanOrEqual(o.durationMs + t.hooks - 1);
  });
});
