/** "Did you mean …?" for misspelt keys and enum values. */

/** Lower-case, without `-`, `_` and spaces: `max_share`, `Max-Share` and `maxShare` compare equal. */
export function looseForm(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? Math.max(a.length, b.length);
}

/**
 * The candidate the user most likely meant, or undefined when nothing is close. Tries, in order: the same
 * word in another spelling (case, `-`, `_`), a unique candidate the input is a prefix of, then the nearest
 * candidate by edit distance within about a third of its length.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const loose = looseForm(input);
  if (loose === '') return undefined;
  const same = candidates.find((c) => looseForm(c) === loose);
  if (same !== undefined) return same;
  if (loose.length >= 3) {
    const prefixed = candidates.filter((c) => looseForm(c).startsWith(loose));
    if (prefixed.length === 1) return prefixed[0];
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(loose, looseForm(c));
    const limit = Math.max(1, Math.floor(looseForm(c).length / 3));
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
