/**
 * The benchmark suite (`npm run bench`): ingest, latency, writer, memory, reconnect and start-up, each in its own
 * child process(es) against the Binance simulator in its own process, each figure next to a baseline measured in
 * the same run (the machines are shared and noisy: ratios travel, absolute numbers do not). Prints one table
 * (figure, baseline, ratio, target, pass/fail) and rewrites this suite's sections of docs/benchmarks.md (the
 * writer benchmark rewrites its own `## Writer` section; text outside the generated blocks is kept).
 *
 *   npm run bench                                  # everything, a few minutes (memory soak: 60 s)
 *   npm run bench -- --only ingest,latency         # a subset (the doc keeps the other sections' last figures)
 *   npm run bench -- --only memory --soak-s 300    # the issue's full 5-minute soak
 *   npm run bench -- --no-docs                     # print only
 *
 * Other flags: --ingest-s 5 (streaming per ingest run), --latency-s 10, --startup-runs 5, --reconnect-drops 10,
 * --isolation-s 20, --bus-bars 100000 --bus-symbols 10 --bus-latency-s 10 (bus: needs nats-server on the PATH).
 * --peer-messages 200000 --peer-runs 3 --peer-symbols 10,1000 (peers: install them first, npm run bench:peers:install),
 * --rss-symbols 1000, --peer-results <file> (render the peers section again from the results file a run wrote).
 */
import path from 'node:path';
import { writeDoc, summaryTable } from './support/bench-doc.ts';
import { flags } from './support/common.ts';
import { peersSection } from './support/peers-section.ts';
import { busSection } from './support/bus-section.ts';
import { DOC, here, load, log, NAMES, ROOT, stamp, table, type Name, type Section } from './support/report.ts';
import { ingestSection, latencySection, memorySection, writerSection } from './support/sections-pipeline.ts';
import { isolationSection, reconnectSection, rssSection, startupSection } from './support/sections-system.ts';

const f = flags(process.argv.slice(2));
const noDocs = f['no-docs'] === 'true';
const only = f.only ? f.only.split(',').map((s) => s.trim()) : [...NAMES];
for (const name of only) if (!(NAMES as readonly string[]).includes(name)) throw new Error(`unknown benchmark ${name}; expected ${NAMES.join(', ')}`);

const runners: Record<Name, () => Promise<Section>> = {
  ingest: () => ingestSection(Number(f['ingest-s'] ?? 5)),
  latency: () => latencySection(Number(f['latency-s'] ?? 10)),
  writer: () => writerSection(noDocs),
  memory: () => memorySection(Number(f['soak-s'] ?? 60)),
  reconnect: () => reconnectSection(Number(f['reconnect-drops'] ?? 10)),
  startup: () => startupSection(Number(f['startup-runs'] ?? 5)),
  isolation: () => isolationSection(Number(f['isolation-s'] ?? 20)),
  rss: () => rssSection(Number(f['rss-symbols'] ?? 1000)),
  bus: async () => ({ name: 'bus', ...(await busSection({ script: here('./bus.bench.ts'), bars: Number(f['bus-bars'] ?? 100_000), symbols: Number(f['bus-symbols'] ?? 10), latencyS: Number(f['bus-latency-s'] ?? 10), stamp, before: load(), log, table })) }),
  peers: async () => ({
    name: 'peers',
    ...(await peersSection({
      symbols: (f['peer-symbols'] ?? '10,1000').split(',').map(Number), messages: Number(f['peer-messages'] ?? 200_000),
      runs: Number(f['peer-runs'] ?? 3), script: here('./peers.bench.ts'), stamp, log, table, ...(f['peer-results'] ? { from: f['peer-results'] } : {}),
    })),
  }),
};

const started = performance.now();
const sections: Section[] = [];
for (const name of NAMES) {
  if (!only.includes(name)) continue;
  try {
    sections.push(await runners[name]());
  } catch (e) {
    log(`${name} failed: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  }
}
console.log(`\n${summaryTable(sections.flatMap((s) => s.rows))}\n`);
log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
if (!noDocs && sections.length > 0) {
  writeDoc(sections);
  log(`wrote ${path.relative(ROOT, DOC)}`);
}
