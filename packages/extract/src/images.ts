import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { CliError, UsageError } from '@cnnpipe/core';

/** One image to run: its path as given (the `image` column), and its class if known. */
export interface ImageItem {
  path: string;
  className: string | null;
}

export interface ImageSet {
  items: ImageItem[];
  /** Class names; `label` = index in this list. */
  classes: string[];
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif', '.bmp']);

function isImage(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (isImage(entry.name)) out.push(path);
  }
  return out;
}

/** A folder in ImageFolder layout: class = immediate sub-folder, sorted by name. */
function imageFolder(dir: string): ImageItem[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  const subdirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (subdirs.length === 0) return filesUnder(dir).map((path) => ({ path, className: null }));
  const items: ImageItem[] = [];
  for (const cls of subdirs) for (const path of filesUnder(join(dir, cls))) items.push({ path, className: cls });
  return items;
}

/** `@list.txt`: one `path[,class]` per line; relative paths are relative to the list. */
function imageList(listPath: string): ImageItem[] {
  let text: string;
  try {
    text = readFileSync(listPath, 'utf8');
  } catch (error) {
    throw new CliError(`@${listPath}: cannot read (${(error as NodeJS.ErrnoException).code})`);
  }
  const base = dirname(listPath);
  const items: ImageItem[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const comma = trimmed.lastIndexOf(',');
    const [path, cls] = comma >= 0 ? [trimmed.slice(0, comma).trim(), trimmed.slice(comma + 1).trim()] : [trimmed, ''];
    if (!path) throw new CliError(`@${listPath}: line ${i + 1} has no path (expected path[,class])`);
    items.push({ path: isAbsolute(path) ? path : join(base, path), className: cls || null });
  });
  return items;
}

/**
 * The images behind the INPUT arguments (files, ImageFolder folders, `@list.txt`), in
 * argument order. Classes are the sorted class names seen, unless `classOrder` fixes them
 * (e.g. a model's output order); a class outside a fixed order is an error.
 */
export function collectImages(inputs: string[], classOrder?: string[]): ImageSet {
  const items: ImageItem[] = [];
  for (const input of inputs) {
    if (input.startsWith('@')) {
      items.push(...imageList(input.slice(1)));
      continue;
    }
    let stat;
    try {
      stat = statSync(input);
    } catch {
      throw new CliError(`${input}: no such file or folder (expected image files, ImageFolder folders or @list.txt)`);
    }
    if (stat.isDirectory()) items.push(...imageFolder(input));
    else items.push({ path: input, className: null });
  }
  if (items.length === 0) throw new CliError(`no images found in ${inputs.join(' ')} (expected .png/.jpg/... files)`);
  const seen = [...new Set(items.map((i) => i.className).filter((c): c is string => c !== null))].sort();
  if (classOrder) {
    const unknown = seen.filter((c) => !classOrder.includes(c));
    if (unknown.length > 0) throw new CliError(`--classes: class folder(s) ${unknown.join(', ')} are not in the given list (${classOrder.join(',')})`);
    return { items, classes: classOrder };
  }
  return { items, classes: seen };
}

/** `--classes a,b,c` or `--classes @file` (one name per line). */
export function parseClassOrder(value: string): string[] {
  if (value.startsWith('@')) {
    const path = resolve(value.slice(1));
    return readFileSync(path, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  }
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Images `index % count === shard` for `--shard I/N` (I from 0). */
export function shardOf<T>(items: T[], spec: string | undefined): T[] {
  if (!spec) return items;
  const match = /^(\d+)\/(\d+)$/.exec(spec);
  const shard = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || shard >= count) {
    // A wrong invocation, like --batch 0: exit 2 with the usage hint.
    throw new UsageError(`--shard ${spec}: expected I/N with 0 <= I < N (e.g. 0/4)`);
  }
  return items.filter((_, i) => i % count === shard);
}
