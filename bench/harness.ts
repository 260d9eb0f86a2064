/**
 * A small, bounded benchmark harness: every figure is measured next to its native bound
 * in the same run, and reported as a ratio (shared machines are noisy; ratios travel).
 */

/** One row of the results table. */
export interface Row {
  /** Group heading, e.g. "password". */
  group: string;
  /** What was measured. */
  name: string;
  /** Our time per operation in milliseconds (or another unit, see `unit`). */
  ours: number;
  /** The bound's time per operation, measured in the same run. */
  bound: number;
  /** How the bound was obtained. */
  boundName: string;
  /** The target for `ours / bound` (lower is better); undefined when informative only. */
  target?: number;
  /** Unit of `ours` and `bound`; "ms" by default. Throughput units are higher-is-better. */
  unit?: string;
  /** A remark shown beside the figure (e.g. a correctness proof the benchmark checked). */
  note?: string;
}

/** Options of {@link timeInterleaved} and {@link timePerOp}. */
export interface TimeOptions {
  /** Stop after this many milliseconds of measuring, all functions together (default 1500). */
  budgetMs?: number;
  /** Never run more than this many rounds (default 10000). */
  maxIterations?: number;
  /** Run at least this many rounds (default 3). */
  minIterations?: number;
  /** Warm-up iterations, not timed (default 2). */
  warmup?: number;
}

/**
 * Median time per call of each function, in milliseconds, bounded in time and count.
 * The functions are sampled in turn (one call each per round), so a burst of load from
 * other processes lands on every figure of the comparison alike; the median resists outliers.
 */
export async function timeInterleaved<K extends string>(fns: Record<K, () => unknown>, options: TimeOptions = {}): Promise<Record<K, number>> {
  const { budgetMs = 1500, maxIterations = 10_000, minIterations = 3, warmup = 2 } = options;
  const names = Object.keys(fns) as K[];
  for (let i = 0; i < warmup; i++) for (const name of names) await fns[name]();
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  const start = performance.now();
  for (let round = 0; round < maxIterations && (round < minIterations || performance.now() - start < budgetMs); round++) {
    for (const name of names) {
      const t = performance.now();
      await fns[name]();
      samples[name].push(performance.now() - t);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])])) as Record<K, number>;
}

/** Median time per call of `fn`, in milliseconds (see {@link timeInterleaved}). */
export async function timePerOp(fn: () => unknown, options: TimeOptions = {}): Promise<number> {
  return (await timeInterleaved({ fn }, options)).fn;
}

/** The median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Throughput in `unitBytes` per second of an operation on `bytes` taking `ms`. */
export function rate(bytes: number, ms: number, unitBytes = 1e6): number {
  return bytes / unitBytes / (ms / 1000);
}

/**
 * Time per operation when `concurrency` operations are kept in flight, in milliseconds
 * (wall time divided by operations completed). Bounded by `total` operations.
 */
export async function timePerOpConcurrent(fn: () => Promise<unknown>, concurrency: number, total: number): Promise<number> {
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, () => fn()));
  let started = 0;
  const t = performance.now();
  const worker = async () => {
    while (started < total) {
      started++;
      await fn();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - t) / total;
}

/** ratio = ours / bound for times; bound / ours for throughputs (so lower is always better). */
export function ratio(row: Row): number {
  return isThroughput(row) ? row.bound / row.ours : row.ours / row.bound;
}

/** Whether the row's unit is a rate (higher is better). */
export function isThroughput(row: Row): boolean {
  return row.unit !== undefined && row.unit.includes("/s");
}

/** Whether the row meets its target (true when it has none). */
export function meetsTarget(row: Row): boolean {
  return row.target === undefined || ratio(row) <= row.target;
}

/** Formats a number with 3 significant digits. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 100) return x.toFixed(0);
  return x.toPrecision(3);
}
