import type { onnx } from '@cnnpipe/core';
import { parsePythonStrings } from './node-metadata.js';

/**
 * Scope components for nodes of the new PyTorch exporter, the same ones the TorchScript
 * exporter writes into node names, so `--layer` and `--list-layers` work alike for both.
 *
 * torch/onnx/_internal/exporter/_core.py (_get_node_namespace, _set_node_metadata) writes,
 * per ONNX node, `pkg.torch.onnx.name_scopes` = repr of the nn_module_stack's module paths
 * plus the FX node name, e.g. ['', 'layer1', 'layer1.0', 'layer1.0.relu', 'relu_1'].
 * TorchScript's names for that node are /layer1/layer1.0/relu_1/Relu: one component per
 * module level (a numeric child extends its parent, `layer1.0`; any other is its attribute
 * name, `relu`), and a module called again inside the same call of its parent gets `_1`,
 * `_2`, ... (BasicBlock calls its `relu` twice). Calls are told apart by graph order: the
 * exporter emits an FX node's ONNX nodes together, in execution order, so a module's call
 * is a run of consecutive nodes under it.
 */
export function moduleStack(props: Map<string, string>): string[] | undefined {
  const raw = props.get('pkg.torch.onnx.name_scopes');
  if (raw === undefined) return undefined;
  const scopes = parsePythonStrings(raw);
  if (!scopes) return undefined;
  // The last entry is the FX node itself; the empty one is the root module.
  const modules = scopes.slice(0, -1).filter((s) => s.length > 0);
  // Module paths are fully qualified (layer1.0.relu); older torch wrote them relative to their parent.
  const qualified: string[] = [];
  for (const name of modules) {
    const parent = qualified[qualified.length - 1];
    qualified.push(parent === undefined || name.startsWith(`${parent}.`) ? name : `${parent}.${name}`);
  }
  return qualified;
}

/** TorchScript's scope component of module `path` under `parent` (see moduleStack). */
function component(parent: string | undefined, parentComponent: string | undefined, path: string): string {
  const relative = parent === undefined ? path : path.slice(parent.length + 1);
  return /^\d+$/.test(relative) && parentComponent !== undefined ? `${parentComponent}.${relative}` : relative;
}

/** Per node, TorchScript-style scope components; nodes without metadata are at the top level. */
export function torchScopes(stacks: (string[] | undefined)[]): string[][] {
  const calls = new Map<string, number>();
  let previous: string[] = [];
  let previousIds: string[] = [];
  return stacks.map((stack) => {
    if (!stack) return [];
    const components: string[] = [];
    const ids: string[] = [];
    for (let level = 0; level < stack.length; level++) {
      const parentId = ids[level - 1] ?? '';
      // The same call while every level down to this one continues from the previous node.
      const continues = previous[level] === stack[level] && previousIds[level - 1] === ids[level - 1] && previousIds[level] !== undefined;
      let id: string;
      let comp = component(stack[level - 1], components[level - 1], stack[level]!);
      if (continues) {
        id = previousIds[level]!;
        comp = id.slice(id.lastIndexOf('/') + 1);
      } else {
        const key = `${parentId}/${comp}`;
        const n = calls.get(key) ?? 0;
        calls.set(key, n + 1);
        if (n > 0) comp = `${comp}_${n}`;
        id = `${parentId}/${comp}`;
      }
      components.push(comp);
      ids.push(id);
    }
    previous = stack;
    previousIds = ids;
    return components;
  });
}

/**
 * Renames nodes of a new-exporter graph to TorchScript's scoped names
 * (`/layer1/layer1.0/relu_1/Relu`), keeping tensor names: node names only label nodes, and
 * every name-based lookup then treats both exporters alike. Returns whether it renamed.
 */
export function scopeNodeNames(nodes: onnx.NodeProto[], metadata: Map<string, string>[]): boolean {
  if (metadata.length !== nodes.length) return false;
  const stacks = metadata.map(moduleStack);
  if (!stacks.some((s) => s !== undefined && s.length > 0)) return false;
  const scopes = torchScopes(stacks);
  const used = new Map<string, number>();
  nodes.forEach((node, i) => {
    const base = `/${[...scopes[i]!, node.opType || 'Op'].join('/')}`;
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    node.name = n === 0 ? base : `${base}_${n}`;
  });
  return true;
}
