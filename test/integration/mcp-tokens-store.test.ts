// MCP tokens and approvals in the store (migration 0014), on both stores.
// Real: SQLite (a temp file) and, when SMARTLIC_TEST_PG is set, PostgreSQL (a database of
// test/support/pg.ts, emptied per test), migrated to the latest schema; the repository through
// createRepositories. Faked: the clock (TestClock), so the stored times are exact.
// Covers core/store/repositories/mcp-tokens.repository.ts (the revoke count and the approval's
// ON CONFLICT DO NOTHING count, which the drivers report differently).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.ts';
import {
  SecretBox,
  createRepositories,
  migrateToLatest,
  type Repositories,
  type StoreHandle,
} from '../../core/store/index.ts';
import { openTestStore, storeKinds } from '../support/pg.ts';

const T0 = new Date('2026-05-01T09:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'smartlic-mcp-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(storeKinds())('mcp tokens store (%s)', (kind) => {
  let h: StoreHandle;
  let repos: Repositories;
  let clock: TestClock;

  beforeEach(async () => {
    clock = new TestClock(T0);
    h = await openTestStore(kind, { path: join(dir, `${kind}-${Date.now()}.db`), clock });
    await migrateToLatest(h.db);
    repos = createRepositories(h.db, SecretBox.random(), clock);
  });
  afterEach(async () => {
    await h.close();
  });

  it('creates, finds by hash, touches and revokes once', async () => {
    await repos.mcpTokens.create({
      name: 'ci',
      role: 'operator',
      secretHash: 'h1',
      createdBy: 'alice',
    });
    expect(await repos.mcpTokens.byHash('h1')).toMatchObject({
      name: 'ci',
      role: 'operator',
      createdAt: T0,
      revokedAt: null,
      lastUsedAt: null,
    });
    expect(await repos.mcpTokens.byHash('nope')).toBeUndefined();
    clock.advance({ minutes: 5 });
    await repos.mcpTokens.touch('ci');
    expect((await repos.mcpTokens.get('ci'))!.lastUsedAt).toEqual(clock.now());
    expect(await repos.mcpTokens.revoke('ci', 'bob')).toBe(true);
    // A second revoke changes nothing and says so.
    expect(await repos.mcpTokens.revoke('ci', 'carol')).toBe(false);
    expect(await repos.mcpTokens.revoke('missing', 'bob')).toBe(false);
    expect(await repos.mcpTokens.get('ci')).toMatchObject({ revokedBy: 'bob' });
    expect((await repos.mcpTokens.list()).map((t) => t.name)).toEqual(['ci']);
  });

  it('records the first approval of a ticket only', async () => {
    expect(await repos.mcpTokens.approve('t-1', 'alice')).toBe(true);
    expect(await repos.mcpTokens.approve('t-1', 'bob')).toBe(false);
    expect(await repos.mcpTokens.approval('t-1')).toEqual({
      ticketId: 't-1',
      approvedBy: 'alice',
      approvedAt: T0,
    });
    expect(await repos.mcpTokens.approval('t-2')).toBeUndefined();
  });
});
