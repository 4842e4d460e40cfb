import { basename } from 'node:path';

/** One input table of the atlas: its flag, file name and the model it came from (cnnpipe.model). */
export interface TableSource {
  flag: string;
  name: string;
  model: string | undefined;
}

/**
 * The warning when the tables come from different models. The atlas joins them by
 * (layer, neuron) only, so a ResNet dissection given with VGG tables would label no unit, or
 * the wrong ones where layer names coincide, without a word. Models are compared by file
 * name: extract records the base name, dissect and dream the path as given.
 */
export function modelMismatch(tables: TableSource[]): string | undefined {
  const known = tables.filter((t) => t.model !== undefined).map((t) => ({ ...t, model: basename(t.model!) }));
  const models = [...new Set(known.map((t) => t.model))];
  if (models.length < 2) return undefined;
  const byModel = models.map((m) => `${m} (${known.filter((t) => t.model === m).map((t) => `--${t.flag}`).join(', ')})`);
  return `the tables come from ${models.length} different models: ${byModel.join('; ')}; units are joined by layer and neuron only`;
}
