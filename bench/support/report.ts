/**
 * What the sections of `npm run bench` share: the section names, the summary row and section shapes, figure
 * formatting, and the stamp (date, machine, load, command) each section opens with.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NAMES = ['ingest', 'latency', 'writer', 'memory', 'reconnect', 'startup', 'peers', 'rss', 'isolation', 'bus'] as const;
export type Name = (typeof NAMES)[number];

/** One row of the summary table. */
export interface Row {
  readonly benchmark: string;
  readonly figure: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly result: 'pass' | 'FAIL' | 'info';
}

/** What a benchmark contributes: summary rows and its doc section. */
export interface Section {
  readonly name: Name;
  readonly rows: Row[];
  readonly markdown: string;
}

/** A path relative to bench/ (`here('./ingest.bench.ts')`). */
export const here = (file: string): string => fileURLToPath(new URL(file, new URL('../', import.meta.url)));
/** The repository root and the generated doc. */
export const ROOT = here('..');
export const DOC = path.join(ROOT, 'docs', 'benchmarks.md');

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
// A summary of no samples has NaN figures, which JSON carries between processes as null: shown as a dash.
export const ms = (n: number | null): string => (n === null || !Number.isFinite(n) ? '—' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;
export const x = (n: number): string => `${n.toFixed(2)}×`;
export const verdict = (ok: boolean): 'pass' | 'FAIL' => (ok ? 'pass' : 'FAIL');
export const table = (header: readonly string[], rows: readonly (readonly string[])[]): string =>
  [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');

export const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' / ');
export const machine = (): string => {
  const cpus = os.cpus();
  let duckdb = '';
  try {
    duckdb = execFileSync(process.execPath, ['-e', "import('@duckdb/node-api').then((m) => console.log(m.version()))"], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    duckdb = 'unknown';
  }
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ` +
    `${os.platform()} ${os.release()}, Node ${process.version}, DuckDB ${duckdb}`;
};
export const stamp = (command: string, before: string): string =>
  `Run ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC on ${machine()}. Load average (1/5/15 min) before ${before}, ` +
  `after ${load()} (shared machine). Command: \`${command}\`.`;

/** Progress on stderr, timestamped. */
export const log = (text: string): void => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);
