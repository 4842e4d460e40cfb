/**
 * A one-line progress bar on stderr. Draws only when enabled (stderr is a terminal, or
 * `--progress`), at most ten times a second, so it never slows the work or dirties logs.
 */
export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly enabled: boolean,
    private readonly unit = 'rows',
  ) {}

  tick(count = 1): void {
    this.done += count;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw();
  }

  finish(): void {
    if (!this.enabled) return;
    this.draw();
    process.stderr.write('\n');
  }

  private draw(): void {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const speed = `${rate.toFixed(rate < 10 ? 1 : 0)} ${this.unit}/s`;
    let line: string;
    if (this.total && this.total > 0) {
      const fraction = Math.min(1, this.done / this.total);
      const width = 24;
      const filled = Math.round(fraction * width);
      const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
      line = `${this.label} [${bar}] ${this.done}/${this.total} ${speed}`;
    } else {
      line = `${this.label} ${this.done} ${this.unit} ${speed}`;
    }
    process.stderr.write(`\r${line}\x1b[K`);
  }
}
