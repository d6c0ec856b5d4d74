// packColumns (core/store/packed.ts): a packed row comes back exactly as kysely's plain row of
// the same columns would, for every kind of value a packed read meets.
// Real: SQLite (in memory) through kysely. Faked: nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { openDatabase, packColumns, type DatabaseHandle } from '../../core/store/index.ts';

let h: DatabaseHandle;
beforeEach(() => {
  h = openDatabase({ path: ':memory:' });
});
afterEach(async () => {
  await h.close();
});

interface T {
  id: number;
  name: string | null;
  ratio: number | null;
  big: number;
  at: string | null;
  doubled: number;
}

describe('packColumns', () => {
  it('returns the same values as plain rows, in the declared order', async () => {
    h.sqlite.exec(
      `create table t (id integer primary key, name text, ratio real, big integer, at text)`,
    );
    const ins = h.sqlite.prepare('insert into t values (?, ?, ?, ?, ?)');
    ins.run(1, 'plain', 0.5, 2 ** 52, '2026-12-06T10:00:00.000Z');
    ins.run(2, 'quote " back\\slash \u00e9 \u{1F600} <b>&', 3.0, -7, null);
    ins.run(3, null, null, 0, '');
    const db = h.db as unknown as Kysely<{ t: Omit<T, 'doubled'> }>;
    const P = packColumns<T>({
      id: 't.id',
      name: 't.name',
      ratio: 't.ratio',
      big: 't.big',
      at: 't.at',
      doubled: sql`t.big * 2`,
    });
    const packed = (
      await db.selectFrom('t').select(P.expr(db).as('p')).orderBy('id').execute()
    ).map((r) => P.unpack(r.p));
    const plain = await db
      .selectFrom('t')
      .select(['id', 'name', 'ratio', 'big', 'at', sql<number>`t.big * 2`.as('doubled')])
      .orderBy('id')
      .execute();
    expect(packed).toEqual(plain);
    expect(Object.keys(packed[0]!)).toEqual(['id', 'name', 'ratio', 'big', 'at', 'doubled']);
    // A real that happens to be whole stays a number equal to the plain read.
    expect(packed[1]!.ratio).toBe(3);
  });
});
