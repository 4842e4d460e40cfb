import { readFileSync } from 'node:fs';
import { UsageError } from '../cli/errors.js';

/**
 * The one `--classes` syntax of the tools: `a,b,c`, or `@FILE` holding one name a line or a
 * JSON list (zoo.json's `{"labels": [...]}` too). A name's index is its label.
 */
export function parseClassList(value: string, flag = '--classes'): string[] {
  if (!value.startsWith('@')) return value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const path = value.slice(1);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag} ${value}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError(`${flag} ${value}: ${path} is not JSON (expected a list of class names, or one name a line)`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { labels?: unknown }).labels;
    if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
      throw new UsageError(`${flag} ${value}: ${path} holds no list of class names (expected ["a","b",...] or {"labels": [...]})`);
    }
    return list as string[];
  }
  return trimmed.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
}
