/**
 * Turns Stryker's JSON report (`reports/mutation/mutation.json`) into the generated mutation section of
 * `docs/testing.md`: the score per file and overall, and every surviving or uncovered mutant with the reason it
 * is equivalent, merged from `scripts/mutation-equivalents.json` (keyed by file, line, column and mutator).
 * Exits 1 when a score is under its threshold or a survivor has no reason, so `npm run test:mutation` fails.
 *
 *   node scripts/mutation-report.ts [report.json]
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The region of docs/testing.md this script owns. */
export const REGION = { file: path.join(ROOT, 'docs/testing.md'), begin: '<!-- mutation:begin -->', end: '<!-- mutation:end -->' };

/** Minimum mutation score (percent) per group of files; a file matches the first prefix it starts with. */
export const THRESHOLDS: readonly { readonly prefix: string; readonly min: number }[] = [
  { prefix: 'machines/', min: 90 },
  // The exactness-critical modules of src/, each on its own.
  ...[
    'src/providers/shared/stream-tracker.ts', 'src/storage/known-keys.ts', 'src/risk/risk-engine.ts', 'src/risk/risk-state.ts',
    'src/storage/duckdb-store.ts', 'src/storage/buffered-writer.ts',
  ].map((prefix) => ({ prefix, min: 80 })),
];

/** One mutant as Stryker's mutation-testing-report-schema describes it (the fields used here). */
export interface ReportMutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}

/** The part of Stryker's JSON report used here. */
export interface MutationReport {
  readonly files: Readonly<Record<string, { readonly mutants: readonly ReportMutant[] }>>;
}

/** Why a surviving mutant is equivalent (cannot change observable behaviour), with the replacement it was written for. */
export interface Equivalence {
  readonly replacement: string;
  readonly reason: string;
}

/** Counts and score of one file or of a group. */
export interface Score {
  readonly killed: number;
  readonly survived: number;
  readonly noCoverage: number;
  /** Percent of valid mutants killed (timeouts count as killed, as Stryker counts them); 100 when none are valid. */
  readonly score: number;
}

/** The key of a mutant in the equivalence file: `file:line:column Mutator`. */
export const mutantKey = (file: string, m: ReportMutant): string =>
  `${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}`;

const isKilled = (status: string): boolean => status === 'Killed' || status === 'Timeout';
const isLive = (status: string): boolean => status === 'Survived' || status === 'NoCoverage';

/** The score of a list of mutants (compile and runtime errors and ignored mutants are not valid, as in Stryker). */
export const scoreOf = (mutants: readonly ReportMutant[]): Score => {
  const killed = mutants.filter((m) => isKilled(m.status)).length;
  const survived = mutants.filter((m) => m.status === 'Survived').length;
  const noCoverage = mutants.filter((m) => m.status === 'NoCoverage').length;
  const valid = killed + survived + noCoverage;
  return { killed, survived, noCoverage, score: valid === 0 ? 100 : (100 * killed) / valid };
};

/** A surviving or uncovered mutant, with its reason when the equivalence file explains it. */
export interface Survivor {
  readonly key: string;
  readonly file: string;
  readonly mutant: ReportMutant;
  readonly reason?: string;
}

/** The equivalence file: one reason per key, or several when mutants of one mutator at one place differ in replacement. */
export type Equivalents = Readonly<Record<string, Equivalence | readonly Equivalence[]>>;

/** Every live mutant of the report, in file and position order; a reason applies only to the replacement it names. */
export const survivorsOf = (report: MutationReport, equivalents: Equivalents): Survivor[] =>
  Object.keys(report.files).sort().flatMap((file) =>
    [...report.files[file]!.mutants]
      .filter((m) => isLive(m.status))
      .sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)
      .map((mutant) => {
        const key = mutantKey(file, mutant);
        const entry = equivalents[key];
        const known = (entry === undefined ? [] : Array.isArray(entry) ? entry : [entry as Equivalence]).find((e) => e.replacement === (mutant.replacement ?? ''));
        return known !== undefined
          ? { key, file, mutant, reason: known.reason }
          : { key, file, mutant };
      }));

/** Why the report fails the gate: scores under threshold and unexplained survivors; empty when it passes. */
export const failuresOf = (report: MutationReport, survivors: readonly Survivor[]): string[] => {
  const out: string[] = [];
  for (const { prefix, min } of THRESHOLDS) {
    const files = Object.entries(report.files).filter(([file]) => file.startsWith(prefix));
    // A module not mutated in this run (e.g. `--mutate` on one file) is not judged.
    if (files.length === 0) continue;
    const group = files.flatMap(([, f]) => f.mutants);
    const { score } = scoreOf(group);
    if (score < min) out.push(`${prefix} scores ${score.toFixed(1)}%, under ${min}%`);
  }
  for (const s of survivors) if (s.reason === undefined) out.push(`no equivalence reason for ${s.key} (${JSON.stringify(s.mutant.replacement ?? '')})`);
  return out;
};

const cell = (text: string): string => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').replace(/`/g, "'");

/** The Markdown of the generated region: per-file scores, then every live mutant and why it is equivalent. */
export const renderReport = (report: MutationReport, survivors: readonly Survivor[]): string => {
  const files = Object.keys(report.files).sort();
  const rows = files.map((file) => {
    const s = scoreOf(report.files[file]!.mutants);
    return `| \`${file}\` | ${s.score.toFixed(1)} % | ${s.killed} | ${s.survived} | ${s.noCoverage} |`;
  });
  const all = scoreOf(files.flatMap((f) => report.files[f]!.mutants));
  const lines = [
    '<!-- Generated by `npm run test:mutation` (scripts/mutation-report.ts) from Stryker\'s JSON report: do not edit by hand. -->',
    '',
    '| File | Score | Killed | Survived | No coverage |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    `| **all** | **${all.score.toFixed(1)} %** | ${all.killed} | ${all.survived} | ${all.noCoverage} |`,
    '',
    '### Surviving mutants and why they are left (equivalent, or said otherwise)',
    '',
  ];
  if (survivors.length === 0) lines.push('None.');
  else {
    lines.push('| Where | Mutator | Replacement | Why it is left |', '| --- | --- | --- | --- |');
    for (const s of survivors) {
      const { line, column } = s.mutant.location.start;
      lines.push(`| \`${s.file}:${line}:${column}\` | ${s.mutant.mutatorName} | \`${cell(s.mutant.replacement ?? '')}\` | ${cell(s.reason ?? '**unexplained**')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
};

/** `text` with the region between the markers replaced by `body`. */
export const replaceRegion = (text: string, body: string): string => {
  const from = text.indexOf(REGION.begin);
  const to = text.indexOf(REGION.end);
  if (from < 0 || to < from) throw new Error(`${REGION.file} lacks the markers ${REGION.begin} … ${REGION.end}`);
  return `${text.slice(0, from + REGION.begin.length)}\n${body}${text.slice(to)}`;
};

const main = async (): Promise<void> => {
  const reportFile = path.resolve(process.argv[2] ?? path.join(ROOT, 'reports/mutation/mutation.json'));
  const report = JSON.parse(await readFile(reportFile, 'utf8')) as MutationReport;
  const equivalents = JSON.parse(await readFile(path.join(ROOT, 'scripts/mutation-equivalents.json'), 'utf8')) as Equivalents;
  const survivors = survivorsOf(report, equivalents);
  await writeFile(REGION.file, replaceRegion(await readFile(REGION.file, 'utf8'), renderReport(report, survivors)));
  const failures = failuresOf(report, survivors);
  for (const f of failures) console.error(f);
  console.log(`${REGION.file}: ${survivors.length} live mutants, ${failures.length} problems`);
  if (failures.length > 0) process.exitCode = 1;
};

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
