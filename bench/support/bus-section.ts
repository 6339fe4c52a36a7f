/**
 * The bus section of `npm run bench` (bench/bus.bench.ts in a child process with its own nats-server): recorder →
 * JetStream → consumer bars/s against a bare @nats-io/jetstream publisher/consumer in the same run (target ≥ 0.7×),
 * and frame → consumer's strategy latency through two sessions (reported, no target).
 */
import { runChild } from './common.ts';

/** What bench/bus.bench.ts reports. */
export interface BusBenchResult {
  readonly bars: number;
  readonly symbols: number;
  readonly ours?: { readonly median: { readonly barsPerSecond: number }; readonly runs: readonly number[] };
  readonly bare?: { readonly median: { readonly barsPerSecond: number }; readonly runs: readonly number[] };
  readonly ratio?: number;
  readonly latencyMs?: Percentiles;
  readonly frameToHostProviderMs?: Percentiles;
  readonly recorderAckLagMs?: Percentiles;
}
interface Percentiles { readonly n: number; readonly p50: number; readonly p99: number; readonly max: number }

/** One summary row, as bench/run.ts's table has them. */
export interface BusRow {
  readonly benchmark: string; readonly figure: string; readonly baseline: string; readonly ratio: string; readonly target: string; readonly result: 'pass' | 'FAIL' | 'info';
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const three = (p: Percentiles | undefined): string => (p ? `${p.p50} / ${p.p99} / ${p.max}` : '(not measured)');

/** Runs the bus benchmark and builds its summary rows and doc section. */
export const busSection = async (o: {
  script: string; bars: number; symbols: number; latencyS: number; stamp: (command: string, before: string) => string; before: string;
  log: (text: string) => void; table: (header: readonly string[], rows: readonly (readonly string[])[]) => string;
}): Promise<{ rows: BusRow[]; markdown: string }> => {
  const args = ['--bars', String(o.bars), '--symbols', String(o.symbols), '--latency-s', String(o.latencyS)];
  o.log(`bus: ${o.bars} bars over ${o.symbols} streams, then ${o.latencyS} s of latency`);
  const r = await runChild<BusBenchResult>(o.script, args);
  const rows: BusRow[] = [];
  if (r.ours && r.bare && r.ratio !== undefined) {
    rows.push({
      benchmark: '10. bus: bars/s recorder → JetStream → consumer vs bare @nats-io/jetstream', figure: int(r.ours.median.barsPerSecond),
      baseline: int(r.bare.median.barsPerSecond), ratio: `${r.ratio.toFixed(2)}×`, target: '≥ 0.7×', result: r.ratio >= 0.7 ? 'pass' : 'FAIL',
    });
  }
  if (r.latencyMs) {
    rows.push({ benchmark: '10. bus: frame → consumer strategy p99 ms', figure: String(r.latencyMs.p99), baseline: '', ratio: '', target: '(none)', result: 'info' });
  }
  const markdown = [
    '## 10. Bus (NATS JetStream)', '',
    o.stamp(`npm run bench -- --only bus --bus-bars ${o.bars} --bus-symbols ${o.symbols} --bus-latency-s ${o.latencyS}`, o.before), '',
    'bench/bus.bench.ts on its own nats-server (loopback, file storage); three alternating runs after a warm-up, median. See docs/scale-out.md for the method.', '',
    o.table(['path', 'bars/s (median)', 'runs'], [
      ['BusPublisher → JetStream → BusSourceProvider', r.ours ? int(r.ours.median.barsPerSecond) : '', r.ours ? r.ours.runs.map(int).join(' / ') : ''],
      ['bare @nats-io/jetstream publisher → durable consumers', r.bare ? int(r.bare.median.barsPerSecond) : '', r.bare ? r.bare.runs.map(int).join(' / ') : ''],
      ['ratio (target ≥ 0.7×)', r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '', ''],
    ]), '',
    o.table(['latency leg', 'p50 / p99 / max ms', 'bars'], [
      ['frame → JetStream ack (per settled batch)', three(r.recorderAckLagMs), String(r.recorderAckLagMs?.n ?? '')],
      ['frame → host\'s bus provider', three(r.frameToHostProviderMs), String(r.frameToHostProviderMs?.n ?? '')],
      ['frame → strategy processData', three(r.latencyMs), String(r.latencyMs?.n ?? '')],
    ]),
  ].join('\n');
  return { rows, markdown };
};
