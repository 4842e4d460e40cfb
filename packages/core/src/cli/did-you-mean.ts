/**
 * Unknown long flags, named before anything else yargs would say: `--modle m.onnx` is
 * "unknown option --modle (did you mean --model?)", not "missing --model (required)".
 */

/** Edit distance (insert, delete, substitute, swap of neighbours), for flag names. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `name`, if close enough to be a typo (a third of its length, at most 2). */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const distance = editDistance(name, k);
    if (distance < bestDistance) [best, bestDistance] = [k, distance];
  }
  return bestDistance <= Math.min(2, Math.max(1, Math.floor(name.length / 3))) ? best : undefined;
}

const kebab = (n: string) => n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The one-line message for the unknown long flags of `argv` (before a `--`), or undefined
 * when all are known. `known`: option keys and aliases as yargs holds them.
 */
export function unknownFlagsMessage(argv: readonly string[], known: Iterable<string>): string | undefined {
  const names = new Set<string>();
  for (const k of known) names.add(kebab(k));
  for (const k of ['help', 'version']) names.add(k);
  const unknown: string[] = [];
  for (const token of argv) {
    if (token === '--') break;
    if (!token.startsWith('--') || token.length < 3) continue;
    const name = token.slice(2).split('=')[0]!;
    const bare = name.startsWith('no-') && names.has(name.slice(3)) ? name.slice(3) : name;
    if (!names.has(bare) && !unknown.includes(name)) unknown.push(name);
  }
  if (unknown.length === 0) return undefined;
  const parts = unknown.map((n) => {
    const near = closestName(n, names);
    return near ? `--${n} (did you mean ${near.length === 1 ? '-' : '--'}${near}?)` : `--${n}`;
  });
  return `unknown option${unknown.length > 1 ? 's' : ''} ${parts.join(', ')}`;
}
