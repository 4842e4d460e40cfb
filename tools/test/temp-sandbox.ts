/**
 * Vitest global setup shared by every package: the test run gets its own temporary folder
 * (TMPDIR, which os.tmpdir(), Chromium and onnxruntime's native library all honour, and
 * which the test workers inherit), removed when the run ends. Tests still clean up after
 * themselves; anything they leave is named in one warning line, so a leak shows, and none
 * outlives the run. onnxruntime-node 1.30 writes an empty mat-debug-<pid>.log per process
 * into TMPDIR unless telemetry is off (core turns it off), and on Node >= 22 the tools keep
 * Node's module compile cache in TMPDIR/node-compile-cache: those are expected, not reported.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const EXPECTED = /^mat-debug-\d+\.log$|\.ses$|^node-compile-cache$/;

export default function setup(): () => void {
  const folder = mkdtempSync(join(tmpdir(), 'cnnpipe-test-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  return () => {
    const left = readdirSync(folder).filter((name) => !EXPECTED.test(name));
    if (left.length > 0) {
      const shown = left.slice(0, 8).join(', ') + (left.length > 8 ? `, … (${left.length} in all)` : '');
      process.stderr.write(`warning: tests left ${left.length} entries in the temporary folder: ${shown}\n`);
    }
    rmSync(folder, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  };
}
