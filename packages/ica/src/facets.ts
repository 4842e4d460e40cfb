import { CliError, expectKind, openArrow, primitiveValues, readAllBatches, stringValues } from '@cnnpipe/core';
import type { NeuronFacet } from './montage.js';

/** Each neuron's SF/MF facet and MF degree from a neuron-stats table (sparsity's output), for montage titles. */
export async function readFacets(path: string | undefined): Promise<Map<string, NeuronFacet> | undefined> {
  if (path === undefined) return undefined;
  const input = await openArrow(path);
  expectKind(input.schema, 'neuron-stats', `--stats ${input.name}`);
  const facets = new Map<string, NeuronFacet>();
  for (const batch of await readAllBatches(input)) {
    const layer = stringValues(batch.getChild('layer')!);
    const neuron = primitiveValues(batch.getChild('neuron')!);
    const facet = batch.getChild('facet');
    const mf = batch.getChild('mf');
    if (!facet || !mf) throw new CliError(`--stats ${input.name}: no 'facet' and 'mf' columns (expected sparsity's neuron-stats table)`);
    for (let r = 0; r < batch.numRows; r++) {
      facets.set(facetKey(layer[r]!, neuron[r]!), { facet: (facet.get(r) as string | null) ?? null, mf: (mf.get(r) as number | null) ?? null });
    }
  }
  return facets;
}

export function facetKey(layer: string, neuron: number): string {
  return `${layer}\u0000${neuron}`;
}
