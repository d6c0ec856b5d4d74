/** "Did you mean …": the closest known word by edit distance, when it is close enough. */

export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/**
 * Up to `max` candidates closest to `word`: a prefix match first, then those within a third of
 * the word's length (at least 2) edits. Ties keep the candidates' order.
 */
export function closest(word: string, candidates: Iterable<string>, max = 3): string[] {
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 3));
  const scored: { c: string; d: number; i: number }[] = [];
  let i = 0;
  for (const c of new Set(candidates)) {
    const lc = c.toLowerCase();
    const d = lc.startsWith(w) || w.startsWith(lc) ? 0.5 : editDistance(w, lc);
    if (d <= limit) scored.push({ c, d, i: i++ });
  }
  return scored
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, max)
    .map((s) => s.c);
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c.length === 0 ? '' : ` Did you mean ${c.map((x) => `"${x}"`).join(' or ')}?`;
}
