/**
 * The README's code blocks as a reader sees them, and the words of their shell commands, for
 * readme.test.ts. Pure parsing, no I/O. A block's marker is the HTML comment just before it:
 *   <!-- needs: WHAT -->        not run: the reader brings WHAT (the text says so too)
 *   <!-- long: WHY -->          not run: too long for a test run; its commands are checked
 *   <!-- skip: TEXT — WHY -->   runs, except the commands containing TEXT, which are checked
 */
export interface ReadmeBlock {
  /** 1-based line of the block's first line in README.md. */
  line: number;
  /** The fence's info string (`python`), 'sh' for an indented block. */
  language: string;
  /** The block's text, indentation removed. */
  text: string;
  markers: { kind: string; why: string }[];
}

export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  const markersBefore = (index: number): ReadmeBlock['markers'] => {
    const markers: ReadmeBlock['markers'] = [];
    for (let i = index - 1; i >= 0; i--) {
      if (lines[i].trim() === '') continue;
      const match = /^<!--\s*([\w-]+):\s*(.*?)\s*-->$/.exec(lines[i].trim());
      if (!match) break;
      markers.unshift({ kind: match[1], why: match[2] });
    }
    return markers;
  };
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)\s*$/.exec(lines[i]);
    if (fence) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
      const language = ['', 'sh', 'bash', 'shell'].includes(fence[1]) ? 'sh' : fence[1];
      blocks.push({ line: start + 2, language, text: body.join('\n'), markers: markersBefore(start) });
      continue;
    }
    // An indented code block starts after a blank line (it cannot interrupt a paragraph); a list
    // item's continuation is indented by two here, so four spaces are always code.
    if (/^ {4}\S/.test(lines[i]) && (i === 0 || lines[i - 1].trim() === '')) {
      const start = i;
      const body: string[] = [];
      for (; i < lines.length && (/^ {4}/.test(lines[i]) || (lines[i].trim() === '' && /^ {4}\S/.test(lines[i + 1] ?? ''))); i++) {
        body.push(lines[i].slice(4));
      }
      blocks.push({ line: start + 1, language: 'sh', text: body.join('\n'), markers: markersBefore(start) });
    }
  }
  return blocks;
}

/** A shell block's commands: continuation lines and `for ... done` loops joined, comments dropped. */
export function shellCommands(text: string): string[] {
  const commands: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trimEnd();
    if (current === '' && line.trim() === '') continue;
    current += (current ? '\n' : '') + line;
    if (/(\\|\||&&|\bdo|\bthen)$/.test(line)) continue;
    if (/^\s*(for|while)\b/.test(current) && !/\bdone$/.test(current)) continue;
    commands.push(current);
    current = '';
  }
  if (current) commands.push(current);
  return commands;
}

/**
 * A command's simple commands (split at `|`, `&&`, `||`, `;`), each as its words, quotes
 * removed; loop keywords (`for ...`, `do`, `done`) dropped.
 */
export function simpleCommands(command: string): string[][] {
  const result: string[][] = [];
  let words: string[] = [];
  let word: string | null = null;
  const endWord = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  const endCommand = () => {
    endWord();
    while (['do', 'then'].includes(words[0])) words.shift();
    if (words.length > 0 && !['for', 'while', 'done', 'fi'].includes(words[0])) result.push(words);
    words = [];
  };
  const text = command.replace(/\\\n/g, ' ');
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      word = (word ?? '') + text.slice(i + 1, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
    } else if (/\s/.test(c)) {
      endWord();
      if (c === '\n') endCommand();
    } else if (c === '|' || c === ';' || (c === '&' && text[i + 1] === '&')) {
      if (text[i + 1] === c) i++;
      endCommand();
    } else if (c === '>' && word === null) {
      words.push('>');
    } else {
      word = (word ?? '') + c;
    }
  }
  endCommand();
  return result;
}

/** Flags naming a file or folder a command writes (besides `> FILE`). */
const outputFlags = new Set(['-o', '--output', '--png', '--montage', '--tally-csv']);

/** The files and folders a simple command writes: after `>`, `-o`, `--png`, `--montage`. */
export function outputsOf(words: string[]): string[] {
  return words.filter((_, i) => i > 0 && (words[i - 1] === '>' || outputFlags.has(words[i - 1])));
}

/** Words that name a file or folder to read: a path with a `/` or a table/model/image extension. */
export function inputsOf(words: string[]): string[] {
  const outputs = new Set(outputsOf(words));
  return words
    .slice(1)
    .filter((w) => !w.startsWith('-') && !w.includes('=') && !outputs.has(w) && w !== '>')
    .map((w) => w.replace(/:[\w.]+$/, '')) // table:column
    .filter((w) => /\/|\.(arrows|arrow|feather|parquet|csv|onnx|png|txt|json)$/.test(w) && !/[{}*$]/.test(w));
}
