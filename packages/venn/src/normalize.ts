/**
 * `--normalize`: concept spellings that name the same thing are merged. A spelling is
 * trimmed, lowercased and its inner whitespace collapsed; then a simple plural is folded
 * onto its singular when that singular is itself a spelling in use (in either model), so
 * `stripes` joins `stripe` but `glass` never becomes `glas`.
 */

/** Trimmed, lowercased, inner whitespace collapsed to one space. */
export function cleanConcept(concept: string): string {
  return concept.trim().toLowerCase().replace(/\s+/g, ' ');
}

/** Singular forms a (cleaned) word might be the plural of, most specific first. */
export function singularCandidates(word: string): string[] {
  const out: string[] = [];
  if (word.length > 3 && word.endsWith('ies')) out.push(`${word.slice(0, -3)}y`);
  if (word.length > 3 && /(?:s|x|z|ch|sh)es$/.test(word)) out.push(word.slice(0, -2));
  if (word.length > 2 && word.endsWith('s') && !word.endsWith('ss')) out.push(word.slice(0, -1));
  return out;
}

export interface Normalization {
  /** Each distinct spelling seen, mapped to the concept it counts as. */
  map: Map<string, string>;
  /** Distinct spellings minus distinct concepts after merging. */
  merged: number;
  /** Merged groups with more than one spelling: concept -> spellings (sorted). */
  groups: Map<string, string[]>;
}

/** Builds the spelling -> concept map over every spelling of both models. */
export function normalizeConcepts(spellings: Iterable<string>): Normalization {
  const distinct = new Set(spellings);
  const cleaned = new Set<string>();
  for (const s of distinct) cleaned.add(cleanConcept(s));
  const canonical = (c: string): string => {
    // Fold a plural onto a singular in use; the last word carries the number ("red stripes").
    const cut = c.lastIndexOf(' ') + 1;
    const head = c.slice(0, cut);
    for (const singular of singularCandidates(c.slice(cut))) {
      if (cleaned.has(head + singular)) return head + singular;
    }
    return c;
  };
  const map = new Map<string, string>();
  const groups = new Map<string, string[]>();
  for (const s of distinct) {
    const target = canonical(cleanConcept(s));
    map.set(s, target);
    const group = groups.get(target);
    if (group) group.push(s);
    else groups.set(target, [s]);
  }
  for (const [target, group] of groups) {
    if (group.length < 2) groups.delete(target);
    else group.sort();
  }
  return { map, merged: distinct.size - new Set(map.values()).size, groups };
}
