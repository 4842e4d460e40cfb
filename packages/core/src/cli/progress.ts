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
      const eta = rate > 0 && this.done < this.total ? ` ETA ${formatDuration((this.total - this.done) / rate)}` : '';
      line = `${this.label} [${bar}] ${this.done}/${this.total} ${speed}${eta}`;
    } else {
      line = `${this.label} ${this.done} ${this.unit} ${speed}`;
    }
    process.stderr.write(`\r${line}\x1b[K`);
  }
}

/** Seconds as people read a wait: 45s, 3m05s, 2h07m. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
