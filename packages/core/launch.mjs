// What every bin runs: Node's module compile cache where the runtime has it (Node >= 22.1;
// Node 20 has no such API), then the tool from its bundle (dist/<tool>.bundle.mjs, made by
// tools/bundle.js: `show --version` 0.29 s -> 0.13 s of CPU on Node 20) while no package in
// it was compiled since, else from dist/cli.js. Plain JavaScript outside src/, so that
// starting a tool loads this one small module before the bundle.
import module from 'node:module';
import { readFileSync, statSync } from 'node:fs';

module.enableCompileCache?.();

/** The entry module of the tool whose bin is at `binUrl`: its bundle while fresh, else dist/cli.js. */
export function toolEntry(binUrl, tool) {
  const dist = new URL('../dist/', binUrl);
  try {
    const bundle = new URL(`${tool}.bundle.mjs`, dist);
    const built = statSync(bundle).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(new URL(`${tool}.bundle.json`, dist), 'utf8'));
    if (inputs.every((f) => statSync(new URL(f, dist)).mtimeMs <= built)) return bundle;
  } catch {
    // No bundle (or a partial one): the compiled modules.
  }
  return new URL('cli.js', dist);
}

/** Starts the tool `tool` whose bin file is `binUrl` (the bin's import.meta.url). */
export async function launch(binUrl, tool) {
  const { main } = await import(toolEntry(binUrl, tool).href);
  return main();
}
