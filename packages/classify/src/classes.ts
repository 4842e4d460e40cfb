import { existsSync, readFileSync } from 'node:fs';
import { UsageError, classesOf, parseClassList, type ArrowInput, type Linear } from '@cnnpipe/core';

/** `--classes`: a,b,c or @file (core's parseClassList), or a JSON file holding a list (or zoo.json's `labels`). */
export function parseClasses(value: string): string[] {
  // The tools' one syntax (a,b,c or @file); a bare JSON file path still works.
  if (value.startsWith('@')) return parseClassList(value);
  if (existsSync(value)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(value, 'utf8'));
    } catch {
      throw new UsageError(`--classes: ${value} is not JSON (expected a list of class names, or a zoo.json)`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { labels?: unknown }).labels;
    if (!Array.isArray(list) || !list.every((c) => typeof c === 'string')) {
      throw new UsageError(`--classes: ${value} holds no list of class names (expected ["a","b",...] or {"labels": [...]})`);
    }
    return list;
  }
  return value.split(',').map((c) => c.trim());
}

const list = (names: string[]) => names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');

/**
 * What the truth of a row is: with the classifier's class names (--classes, or the model's
 * cnnpipe.classes metadata), each row's class name, so a label order that differs from the
 * model's output order cannot relabel silently; else its label index.
 */
export class Truth {
  private classes: string[] | undefined;
  private classIndex: Map<string, number>;
  private decided: boolean;

  constructor(
    private readonly source: string,
    private readonly classifier: string,
    given: string[] | undefined,
    /** The model's class names, when they are to be checked against the labels' names. */
    private readonly fromModel: string[] | undefined,
    /** The input's cnnpipe.classes. */
    private readonly labelNames: string[] | undefined,
    private readonly warn: (message: string) => void,
  ) {
    this.classes = given;
    this.classIndex = new Map((given ?? []).map((c, i) => [c, i]));
    this.decided = fromModel === undefined;
    if (given && labelNames) {
      const foreign = labelNames.filter((c) => !this.classIndex.has(c));
      if (foreign.length > 0) warn(`${source}: class(es) ${list(foreign)} of the labels are not in --classes; their rows count as unlabelled`);
    }
  }

  /** The truth for `input` scored by `linear` (named `classifier`), with --classes when given. */
  static of(input: ArrowInput, classifier: string, linear: Linear, classes: string | undefined, warn: (message: string) => void): Truth {
    const given = classes === undefined ? undefined : parseClasses(classes);
    if (given && given.length !== linear.k) throw new UsageError(`--classes: ${given.length} names for a classifier of ${linear.k} classes`);
    const fromModel = given === undefined && input.schema.fields.some((f) => f.name === 'class') ? linear.classes : undefined;
    return new Truth(input.name, classifier, given, fromModel, classesOf(input.schema), warn);
  }

  /**
   * The model's names are used when the labels' names are all among them (from the input's
   * cnnpipe.classes, else the first batch's class column); otherwise one warning, and the
   * label indices as before.
   */
  private decide(rowNames: (string | null)[]): void {
    this.decided = true;
    const fromModel = this.fromModel!;
    const seen = this.labelNames ?? [...new Set(rowNames.filter((c): c is string => c !== null))];
    const known = new Set(fromModel);
    const foreign = seen.filter((c) => !known.has(c));
    if (foreign.length === 0) {
      this.classes = fromModel;
      this.classIndex = new Map(fromModel.map((c, i) => [c, i]));
      return;
    }
    this.warn(
      `${this.source}: class(es) ${list(foreign)} of the labels are not among ${this.classifier}'s classes (its cnnpipe.classes metadata: ` +
        `${list(fromModel)}); scored by label index, which need not be its output order: give --classes to fix it`,
    );
  }

  /** The true class index of each row (-1 or a null: unknown) from its labels and class names. */
  of(labels: { values: Int32Array; isNull?: (i: number) => boolean }, names: () => (string | null)[]): { values: Int32Array; isNull: (i: number) => boolean } {
    if (!this.decided) this.decide(names());
    if (!this.classes) return { values: labels.values, isNull: labels.isNull ?? (() => false) };
    const mapped = Int32Array.from(names(), (c) => (c === null ? -1 : (this.classIndex.get(c) ?? -1)));
    return { values: mapped, isNull: (i) => mapped[i]! < 0 };
  }
}
