/**
 * Benchmark 6, start-up: `argo-realtime record` started as a child process against a simulator that is already
 * running (own process, a closed 1s bar every 10 ms), from spawn to the first bar durable in DuckDB. The command
 * is the package's bin (`node src/cli/main.ts record --symbols BTCUSDT --interval 1s --ws-url … --rest-url …
 * --out …`), preloaded with support/startup-probe.ts, which reports when JavaScript started, the writer opened,
 * the first closed bar arrived and the first row became durable. Each run gets a fresh file; the median of
 * `--runs` runs is reported.
 *
 * Variant: the same with `storage_config.flush_interval_ms: 100` (a config file), to show what the writer's
 * default 1 s flush interval adds. Baseline: support/startup-baseline.ts, a bare Node program doing the same
 * (DuckDB file and table, `ws` SUBSCRIBE, first closed bar appended and flushed).
 *
 *   node bench/startup.bench.ts --runs 5
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flags, removeDb, report, tempDb, wallNow } from './support/common.ts';
import { forkSimulator } from './support/sim-control.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROBE = fileURLToPath(new URL('./support/startup-probe.ts', import.meta.url));
const BASELINE = fileURLToPath(new URL('./support/startup-baseline.ts', import.meta.url));
const CLI = path.join(ROOT, 'src/cli/main.ts');

/** Milestones of one start, in ms after spawn. */
export interface StartupRun {
  readonly jsStart: number;
  readonly writerOpened: number;
  readonly firstBar: number;
  readonly firstDurable: number;
  readonly exitCode: number | null;
}

/** `--help`: ms from spawn to exit, median (and every run), from src/ (type stripping) and from the built dist/. */
export interface HelpTiming {
  readonly src: number;
  readonly dist: number | undefined;
  /** `node -e 0`: what any Node process costs here. */
  readonly bareNode: number;
  readonly all: { readonly src: number[]; readonly dist: number[]; readonly bareNode: number[] };
}

/** Medians over the runs of each variant. */
export interface StartupResult {
  readonly runs: number;
  readonly help: HelpTiming;
  readonly record: StartupRun;
  readonly recordFastFlush: StartupRun;
  readonly baseline: StartupRun;
  readonly all: { readonly record: StartupRun[]; readonly recordFastFlush: StartupRun[]; readonly baseline: StartupRun[] };
  readonly commands: { readonly record: string; readonly recordFastFlush: string; readonly baseline: string };
}

/** Spawns one command and resolves with its milestones once the first row is durable (then stops it). */
const startOnce = (args: readonly string[]): Promise<StartupRun> =>
  new Promise((resolve, reject) => {
    const t0 = wallNow();
    const child = spawn(process.execPath, [...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const at: Record<string, number> = {};
    let stderr = '';
    let buffered = '';
    let settled = false;
    const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith('BENCH_PROBE ')) { stderr += `${line}\n`; continue; }
        const e = JSON.parse(line.slice(12)) as { event: string; t: number; receivedAt?: number };
        at[e.event] = (e.event === 'first.bar' ? e.receivedAt! : e.t) - t0;
        if (e.event === 'first.durable') child.kill('SIGTERM'); // graceful stop of record; the baseline exits itself
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timeout);
      if (settled) return;
      settled = true;
      if (at['first.durable'] === undefined) {
        reject(new Error(`${args.join(' ')}: no durable bar (exit ${code})\n${stderr}`));
        return;
      }
      resolve({ jsStart: at['process.start']!, writerOpened: at['writer.opened']!, firstBar: at['first.bar']!, firstDurable: at['first.durable']!, exitCode: code });
    });
  });

const DIST_CLI = path.join(ROOT, 'dist/src/cli/main.js');

/** Spawns a command to its exit; resolves with ms from spawn to exit. */
const timeToExit = (args: readonly string[]): Promise<number> =>
  new Promise((resolve, reject) => {
    const t0 = wallNow();
    const child = spawn(process.execPath, [...args], { cwd: ROOT, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(wallNow() - t0) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** `--help` from src/ and dist/ (when built), and a bare Node process, interleaved. */
const helpTiming = async (runs: number): Promise<HelpTiming> => {
  const all = { src: [] as number[], dist: [] as number[], bareNode: [] as number[] };
  const built = fs.existsSync(DIST_CLI);
  for (let i = 0; i < runs; i++) {
    all.src.push(await timeToExit([CLI, '--help']));
    if (built) all.dist.push(await timeToExit([DIST_CLI, '--help']));
    all.bareNode.push(await timeToExit(['-e', '0']));
  }
  return { src: median(all.src), dist: built ? median(all.dist) : undefined, bareNode: median(all.bareNode), all };
};

const medianRun = (runs: readonly StartupRun[]): StartupRun => {
  const med = (k: keyof StartupRun): number => {
    const xs = runs.map((r) => r[k] as number).sort((a, b) => a - b);
    return xs[xs.length >> 1]!;
  };
  return { jsStart: med('jsStart'), writerOpened: med('writerOpened'), firstBar: med('firstBar'), firstDurable: med('firstDurable'), exitCode: runs[0]?.exitCode ?? null };
};

export const runStartup = async (o: { runs: number }): Promise<StartupResult> => {
  const sim = await forkSimulator({ symbols: ['BTCUSDT'], marketStepMs: 1000 });
  const pacing = sim.rate(100, 0);
  const dbs: string[] = [];
  const db = (): string => {
    const file = tempDb('startup');
    dbs.push(file);
    return file;
  };
  const flagsOf = (out: string): string[] => ['--symbols', 'BTCUSDT', '--interval', '1s', '--ws-url', sim.wsUrl, '--rest-url', sim.restUrl, '--out', out];
  const configFile = path.join(path.dirname(db()), 'fast-flush.yaml');
  fs.writeFileSync(configFile, 'session:\n  realtime_provider: binance-realtime\n  symbols: [BTCUSDT]\n  interval: 1s\n  storage_config:\n    flush_interval_ms: 100\n');
  const variants = {
    record: (out: string) => ['--import', PROBE, CLI, 'record', ...flagsOf(out)],
    recordFastFlush: (out: string) => ['--import', PROBE, CLI, 'record', '--config', configFile, ...flagsOf(out)],
    baseline: (out: string) => [BASELINE, sim.wsUrl, 'BTCUSDT', '1s', out],
  };
  try {
    const all = { record: [] as StartupRun[], recordFastFlush: [] as StartupRun[], baseline: [] as StartupRun[] };
    // Interleaved, so that machine noise spreads over all variants alike.
    for (let i = 0; i < o.runs; i++) {
      for (const k of Object.keys(variants) as (keyof typeof variants)[]) all[k].push(await startOnce(variants[k](db())));
    }
    const show = (k: keyof typeof variants): string =>
      `node ${variants[k]('<db>').map((a) => (a.startsWith(ROOT) ? path.relative(ROOT, a) : a)).join(' ').replace(sim.wsUrl, '<ws>').replace(sim.restUrl, '<rest>')}`;
    const help = await helpTiming(o.runs);
    return {
      runs: o.runs, help, record: medianRun(all.record), recordFastFlush: medianRun(all.recordFastFlush), baseline: medianRun(all.baseline), all,
      commands: { record: show('record'), recordFastFlush: show('recordFastFlush'), baseline: show('baseline') },
    };
  } finally {
    await sim.halt();
    await pacing;
    await sim.close();
    for (const file of dbs) removeDb(file);
  }
};

if (import.meta.main) {
  const f = flags(process.argv.slice(2));
  report(await runStartup({ runs: Number(f.runs ?? 5) }));
  process.exit(0);
}
