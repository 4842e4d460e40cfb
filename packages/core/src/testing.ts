import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow';

/** Test helpers: run a tool's built binary as a user would, with bytes on stdin. */

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ToolResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `packages/<tool>/bin/<tool>.js` with `args`, feeding `stdin` (bytes or text). */
export function runBin(tool: string, args: string[], stdin?: Uint8Array | string, cwd = repoRoot): Promise<ToolResult> {
  const bin = join(repoRoot, 'packages', tool, 'bin', `${tool}.js`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolvePromise({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.on('error', () => undefined);
    if (stdin !== undefined) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

export function toIPC(table: Table): Uint8Array {
  return tableToIPC(table, 'stream');
}

export function fromIPC(bytes: Uint8Array): Table {
  return tableFromIPC(bytes);
}
export * from './testing-nonfinite.js';
