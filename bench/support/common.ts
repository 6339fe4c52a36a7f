/**
 * Shared helpers of the benchmark suite: percentiles, a sub-millisecond wall clock, running one benchmark in a
 * child process and getting its result back, temp files.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock, type Clock } from '../../src/clock.ts';

/** Wall time in ms with sub-millisecond resolution; comparable between processes and threads of one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** The system clock with a sub-millisecond `now()`: bars' `receivedAt` then resolves below 1 ms. */
export const preciseClock: Clock = { ...systemClock, now: wallNow };

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: ArrayLike<number>, p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

/** p50 / p99 / max of samples (ms). */
export const summarize = (samples: readonly number[]): { n: number; p50: number; p99: number; max: number; mean: number } => {
  const sorted = Float64Array.from(samples).sort();
  const mean = samples.reduce((a, b) => a + b, 0) / (samples.length || 1);
  return { n: samples.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN, mean };
};

/** A fresh temp directory for one run's DuckDB file. */
export const tempDb = (name: string): string => path.join(fs.mkdtempSync(path.join(os.tmpdir(), `argo-bench-${name}-`)), 'bench.duckdb');

/** Removes a temp database and its directory. */
export const removeDb = (file: string): void => {
  if (path.basename(path.dirname(file)).startsWith('argo-bench-')) fs.rmSync(path.dirname(file), { recursive: true, force: true });
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves when `ok()` holds (polled every `everyMs`), rejects after `timeoutMs`. */
export const until = async (ok: () => boolean, timeoutMs: number, what: string, everyMs = 2): Promise<void> => {
  const deadline = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
};

/** Sends a benchmark's result to the parent (bench/run.ts), or prints it when run on its own. */
export const report = (result: unknown): void => {
  if (process.send) process.send({ type: 'result', result });
  else console.log(JSON.stringify(result, null, 2));
};

/** Runs `script` (a benchmark module) in a child process and resolves with the result it reports. */
export const runChild = <T>(script: string, args: readonly string[] = [], execArgv: readonly string[] = []): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const child = fork(script, [...args], { execArgv: [...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: T | undefined;
    child.on('message', (m: { type?: string; result?: T }) => { if (m?.type === 'result') result = m.result; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`${path.basename(script)} ${args.join(' ')} exited (${code ?? signal}) without a result`));
    });
  });

/** Parses `--name value` flags into a record. */
export const flags = (argv: readonly string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) out[k] = inline;
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) out[k] = argv[++i]!;
    else out[k] = 'true';
  }
  return out;
};

/** Process memory in MB. */
export const memoryMb = (): { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number } => {
  const m = process.memoryUsage();
  const mb = (x: number): number => x / 2 ** 20;
  return { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
};
