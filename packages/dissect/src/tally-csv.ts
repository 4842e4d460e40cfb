import type { UnitLabel } from './score.js';
import type { LayerTally } from './tally.js';

function field(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * NetDissect-Lite's tally.csv for one layer: unit (1-based), category, label, score, then per
 * category <cat>-label, -truth (G), -activation (Act of the label's category), -intersect,
 * -iou; rows by score, highest first (ties: lower unit first).
 */
export function tallyCsv(labels: UnitLabel[], tally: LayerTally, truth: Float64Array, names: (string | null)[], categories: string[]): string {
  const header = ['unit', 'category', 'label', 'score', ...categories.flatMap((c) => ['label', 'truth', 'activation', 'intersect', 'iou'].map((f) => `${c}-${f}`))];
  const order = [...labels].sort((a, b) => b.iou - a.iou || a.unit - b.unit);
  const name = (l: number) => (l >= 0 ? names[l] ?? String(l) : '');
  const lines = [header.join(',')];
  for (const u of order) {
    const row = [String(u.unit + 1), u.label >= 0 ? categories[u.category]! : '', name(u.label), String(u.iou)];
    categories.forEach((_, c) => {
      const l = u.labels[c]!;
      const k = u.unit;
      row.push(
        name(l),
        String(l >= 0 ? truth[l]! : 0),
        String(l >= 0 ? tally.act[k * tally.categories + c]! : 0),
        String(l >= 0 ? tally.inter[k * tally.labels + l]! : 0),
        String(u.ious[c]!),
      );
    });
    lines.push(row.map(field).join(','));
  }
  return `${lines.join('\n')}\n`;
}
