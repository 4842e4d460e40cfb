import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '@cnnpipe/core';
import { csvTable, type CsvTable } from './csv-rows.js';

/**
 * A probe set in Broden's layout (Bau et al.; NetDissect-Lite's loader/data_loader.py):
 * index.csv (image,split,ih,iw,sh,sw and one column per category, each cell empty or a ';'
 * list of mask PNG paths under images/ and image-level label numbers), label.csv
 * (number,name,category,frequency,coverage,syns), category.csv (name,...) and one
 * c_<category>.csv (code,number,name,frequency,coverage,...) per category.
 */
export interface Probe {
  dir: string;
  /** The categories dissected, in output order. */
  categories: string[];
  /** Label names by label number (null where label.csv has no such number); index 0 is "unlabelled". */
  names: (string | null)[];
  /** Primary category of each label number (index into `categories`), -1 when in none of them. */
  primary: Int32Array;
  /** The index rows with any label in the chosen categories, in index order. */
  images: ProbeImage[];
}

export interface ProbeImage {
  /** The row's line number in index.csv (for messages). */
  line: number;
  /** The image file. */
  path: string;
  sh: number;
  sw: number;
  /** Mask PNGs (label = R + 256 G, 0 = unlabelled), in category order. */
  masks: string[];
  /** Image-level labels (Broden's scene-0 entries dropped). */
  scalars: number[];
  /** The image's size from index.csv's ih, iw (0 when the index has none). */
  ih: number;
  iw: number;
}

/** NetDissect-Lite's settings.CATAGORIES. */
export const DEFAULT_CATEGORIES = ['object', 'part', 'scene', 'texture', 'color'];

function readTable(dir: string, name: string, columns: string[]): CsvTable {
  const path = join(dir, name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`${path}: cannot read (${code}; a Broden probe folder has index.csv, label.csv, category.csv and c_<category>.csv)`);
  }
  const table = csvTable(text);
  for (const c of columns) {
    if (!table.header.includes(c)) throw new CliError(`${path}: missing column '${c}' (expected ${columns.join(',')}; got ${table.header.join(',')})`);
  }
  return table;
}

function positiveInt(value: string | undefined, where: string): number {
  const n = Number(value);
  if (!value || !Number.isInteger(n) || n < 1) throw new CliError(`${where} is '${value ?? ''}' (expected a positive integer)`);
  return n;
}

/** Reads and checks a probe folder: every file it names must exist before any work starts. */
export function readProbe(dir: string, wanted?: string[]): Probe {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new CliError(`--probe ${dir}: not a folder (expected a Broden probe folder with index.csv, label.csv, category.csv)`);
  const categoryTable = readTable(dir, 'category.csv', ['name']);
  const known = categoryTable.records.map((r) => r.name!);
  let categories: string[];
  if (wanted) {
    for (const c of wanted) {
      if (!known.includes(c)) throw new CliError(`--categories ${c}: no such category in ${join(dir, 'category.csv')} (it lists ${known.join(', ')})`);
    }
    categories = wanted;
  } else {
    categories = DEFAULT_CATEGORIES.filter((c) => known.includes(c));
    if (categories.length === 0) throw new CliError(`${join(dir, 'category.csv')}: none of ${DEFAULT_CATEGORIES.join(', ')} (give --categories)`);
  }
  const labelTable = readTable(dir, 'label.csv', ['number', 'name']);
  const labelPath = join(dir, 'label.csv');
  let size = 1;
  const numbers = labelTable.records.map((r, i) => {
    const n = Number(r.number);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`${labelPath}: line ${i + 2}: number '${r.number}' (expected an integer 0..65535)`);
    size = Math.max(size, n + 1);
    return n;
  });
  const names: (string | null)[] = new Array(size).fill(null);
  numbers.forEach((n, i) => (names[n] = labelTable.records[i]!.name!));
  // Primary category: where the label has the highest coverage; ties go to the later
  // category, as NetDissect-Lite's max((coverage, index)).
  const primary = new Int32Array(size).fill(-1);
  const coverage = new Float64Array(size).fill(-1);
  categories.forEach((cat, ci) => {
    const name = `c_${cat}.csv`;
    const table = readTable(dir, name, ['number', 'coverage']);
    table.records.forEach((r, i) => {
      const n = Number(r.number);
      if (!Number.isInteger(n) || n < 0 || n >= size || names[n] === null) {
        throw new CliError(`${join(dir, name)}: line ${i + 2}: label number '${r.number}' is not in label.csv`);
      }
      const cov = Number(r.coverage);
      if (!Number.isFinite(cov)) throw new CliError(`${join(dir, name)}: line ${i + 2}: coverage '${r.coverage}' (expected a number)`);
      if (cov >= coverage[n]!) {
        coverage[n] = cov;
        primary[n] = ci;
      }
    });
  });
  const indexPath = join(dir, 'index.csv');
  const index = readTable(dir, 'index.csv', ['image', 'sh', 'sw', ...categories]);
  const images: ProbeImage[] = [];
  index.records.forEach((r, i) => {
    const line = i + 2;
    const masks: string[] = [];
    const scalars: number[] = [];
    for (const cat of categories) {
      for (const entry of r[cat]!.split(';')) {
        const item = entry.trim();
        if (item === '') continue;
        if (/^\d+$/.test(item)) {
          const n = Number(item);
          if (n === 0) continue; // Broden's scene-0 rows: no label, not "label 0".
          if (n >= size || names[n] === null) throw new CliError(`${indexPath}: line ${line}: label ${n} in column '${cat}' is not in ${labelPath}`);
          scalars.push(n);
        } else masks.push(join(dir, 'images', item));
      }
    }
    if (masks.length === 0 && scalars.length === 0) return; // NetDissect-Lite's index_has_any_data
    const image = {
      line,
      path: join(dir, 'images', r.image!),
      sh: positiveInt(r.sh, `${indexPath}: line ${line}: sh`),
      sw: positiveInt(r.sw, `${indexPath}: line ${line}: sw`),
      masks,
      scalars,
      ih: Number(r.ih) || 0,
      iw: Number(r.iw) || 0,
    };
    for (const file of [image.path, ...masks]) {
      let ok = false;
      try {
        ok = statSync(file).isFile();
      } catch {
        ok = false;
      }
      if (!ok) throw new CliError(`${file}: no such file (named in ${indexPath} line ${line})`);
    }
    images.push(image);
  });
  if (images.length === 0) throw new CliError(`${indexPath}: no image has labels in ${categories.join(', ')}`);
  return { dir, categories, names, primary, images };
}
