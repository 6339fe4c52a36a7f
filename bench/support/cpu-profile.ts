/**
 * CPU profiling of a benchmark's measured window: starts V8's sampling profiler on this thread through the
 * inspector, writes the `.cpuprofile` (open it in Chrome DevTools or speedscope) and summarises self time by
 * function and by file, so a profile can be quoted in docs/benchmarks.md without a viewer.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 `.cpuprofile` used here. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }[];
  readonly samples: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** A running profile; `stop` writes it to `file` and resolves with it. */
export interface Profiling { stop(): Promise<CpuProfile> }

/** Starts sampling this thread every `intervalUs` µs. */
export const startProfile = async (file: string, intervalUs = 200): Promise<Profiling> => {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
      session.disconnect();
      fs.writeFileSync(file, JSON.stringify(profile));
      return profile;
    },
  };
};

/** One row of a summary: where, how many samples, share of all samples. */
export interface SelfTime { readonly where: string; readonly samples: number; readonly pct: number }

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `file:line` relative to the repository (node_modules paths shortened to the package). */
const location = (url: string, line: number): string => {
  if (url === '') return '';
  let p = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (p.startsWith(ROOT)) p = p.slice(ROOT.length);
  p = p.replace(/^.*node_modules\//, 'node_modules/');
  return `${p}:${line + 1}`;
};

const fileOf = (url: string): string => {
  const where = location(url, 0);
  if (where === '') return '(native / V8)';
  const p = where.replace(/:\d+$/, '');
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p);
  return pkg ? `node_modules/${pkg[1]}` : p;
};

/** Self time by function (name + file:line) and by file or package, top `n` of each, excluding idle. */
export const summariseProfile = (profile: CpuProfile, n = 15): { total: number; idle: number; byFunction: SelfTime[]; byFile: SelfTime[] } => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let idle = 0;
  for (const id of profile.samples) {
    const frame = byId.get(id)!;
    if (frame.functionName === '(idle)') { idle++; continue; }
    const where = location(frame.url, frame.lineNumber);
    // Frames without a script are V8 builtins (RegExp exec, Number(), Map lookups, JSON.parse's helpers...).
    const name = frame.functionName === '' || (frame.url === '' && frame.functionName === '(anonymous)') ? (frame.url === '' ? '(V8 builtin)' : '(anonymous)') : frame.functionName;
    const key = `${name}${where ? ` ${where}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + 1);
    const f = frame.url === '' ? name : fileOf(frame.url);
    file.set(f, (file.get(f) ?? 0) + 1);
  }
  const busy = profile.samples.length - idle;
  const top = (m: Map<string, number>): SelfTime[] => [...m]
    .sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([where, samples]) => ({ where, samples, pct: (100 * samples) / (busy || 1) }));
  return { total: profile.samples.length, idle, byFunction: top(fn), byFile: top(file) };
};

/** The summary as Markdown tables. */
export const renderSummary = (title: string, s: ReturnType<typeof summariseProfile>): string => {
  const rows = (xs: SelfTime[]): string => xs.map((x) => `| ${x.pct.toFixed(1)}% | \`${x.where}\` |`).join('\n');
  return [
    `**${title}**: ${s.total - s.idle} busy samples (${((100 * s.idle) / (s.total || 1)).toFixed(0)}% idle)`, '',
    '| self | function |', '|---:|---|', rows(s.byFunction), '',
    '| self | file or package |', '|---:|---|', rows(s.byFile), '',
  ].join('\n');
};
