#!/usr/bin/env node
// Bundles each tool's compiled code into one file, packages/<tool>/dist/<tool>.bundle.mjs,
// which its bin starts from (packages/core/launch.mjs) while the bundle is newer than every
// workspace file in it. Start-up is mostly module loading: `show --version` takes 0.29 s of
// CPU from ~300 modules on Node 20 and 0.13 s from the bundle (Node 24: 0.17 s -> 0.08 s).
// Inlined: the workspace's own code and the pure-JS libraries every tool loads at start
// (apache-arrow, yargs and their dependencies); everything else (onnxruntime-node, sharp,
// pngjs, playwright-core, ...: native code, or files found next to the module) stays an
// import from node_modules, exactly as without the bundle.
//   node tools/bundle.js [TOOL...]        (default: every package with a bin; run by `npm run build`)
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const INLINE = /^(@cnnpipe\/[^/]+|apache-arrow|flatbuffers|tslib|@swc\/helpers|yargs|yargs-parser|cliui|y18n|escalade|get-caller-file|string-width|strip-ansi|ansi-regex|emoji-regex|wrap-ansi|ansi-styles|get-east-asian-width)(\/|$)/;

/** The npm package an absolute path lies in (the last node_modules segment), if any. */
function packageOf(path) {
  const at = path.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const rest = path.slice(at + '/node_modules/'.length).split('/');
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

function external(id, _importer, isResolved) {
  if (id.startsWith('\0') || id.startsWith('.')) return false;
  if (id.startsWith('node:')) return true;
  if (id.startsWith('/')) {
    const pkg = isResolved ? packageOf(id) : undefined;
    return pkg !== undefined && !INLINE.test(pkg);
  }
  return !INLINE.test(id);
}

const tools = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'bin', `${p}.js`)));

for (const tool of tools.sort()) {
  const dist = join(root, 'packages', tool, 'dist');
  const input = join(dist, 'cli.js');
  if (!existsSync(input)) throw new Error(`${input}: not built (run tsc -b first)`);
  const file = join(dist, `${tool}.bundle.mjs`);
  const bundle = await rolldown({ input, platform: 'node', external, logLevel: 'warn', checks: { circularDependency: false } });
  // One file: a local dynamic import is inlined (an external one stays a dynamic import).
  const { output } = await bundle.write({ file, format: 'esm', sourcemap: false, codeSplitting: false });
  await bundle.close();
  // The bin falls back to dist/cli.js when a package in the bundle was compiled after it
  // (tsc -b rewrites a project's dist/.tsbuildinfo whenever it builds it).
  const packages = new Set();
  for (const id of output[0].moduleIds) {
    const m = new RegExp(`^${root}/packages/([^/]+)/dist/`).exec(id);
    if (m && !id.includes('/node_modules/')) packages.add(m[1]);
  }
  const inputs = [...packages].sort().map((p) => relative(dist, join(root, 'packages', p, 'dist', '.tsbuildinfo')));
  writeFileSync(join(dist, `${tool}.bundle.json`), `${JSON.stringify({ inputs })}\n`);
}
console.log(`bundled ${tools.length} tools`);
