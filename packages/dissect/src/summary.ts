/** One bar of the seed's figure: a layer's detectors of one category. */
export interface SummaryRow {
  layer: string;
  category: string;
  /** Distinct concepts among the layer's detectors of the category (Bau et al.'s "unique detectors"). */
  unique: number;
  /** Units whose best label is of the category with IoU >= the threshold. */
  detectors: number;
}

/**
 * Unique detectors per category per layer from a dissection's rows. Every (layer, category)
 * pair gets a row, zeros included, layers in order of appearance, categories in `categories`
 * order (then any others met).
 */
export function summarize(
  layer: (string | null)[],
  concept: (string | null)[],
  category: (string | null)[],
  score: ArrayLike<number>,
  threshold: number,
  categories: string[] = [],
): SummaryRow[] {
  const layers: string[] = [];
  const cats = [...categories];
  const hits = new Map<string, { units: number; concepts: Set<string> }>();
  for (let i = 0; i < layer.length; i++) {
    const l = layer[i] ?? '';
    if (!layers.includes(l)) layers.push(l);
    const c = category[i];
    const name = concept[i];
    if (c === null || c === undefined || name === null || name === undefined || !(score[i]! >= threshold)) continue;
    if (!cats.includes(c)) cats.push(c);
    const key = `${l}\u0000${c}`;
    let h = hits.get(key);
    if (!h) hits.set(key, (h = { units: 0, concepts: new Set() }));
    h.units++;
    h.concepts.add(name);
  }
  return layers.flatMap((l) =>
    cats.map((c) => {
      const h = hits.get(`${l}\u0000${c}`);
      return { layer: l, category: c, unique: h?.concepts.size ?? 0, detectors: h?.units ?? 0 };
    }),
  );
}
