/**
 * Preloaded into `argo-realtime record` by the start-up benchmark (`node --import ./bench/support/startup-probe.ts
 * src/cli/main.ts record ...`): reports on stderr, as `BENCH_PROBE <json>` lines, when the process began running
 * JavaScript, when the writer opened, when the first closed bar was decoded and when the first row became durable
 * (the writer's `writer.flushed`). It only wraps `DuckDBRealtimeWriter.open` and `StreamTracker.prototype.accept`.
 */
import { StreamTracker } from '../../src/providers/shared/stream-tracker.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { DuckDBRealtimeWriter } from '../../src/storage/duckdb-writer.ts';

const now = (): number => performance.timeOrigin + performance.now();
const say = (event: string, extra: Record<string, unknown> = {}): void => {
  process.stderr.write(`BENCH_PROBE ${JSON.stringify({ event, t: now(), ...extra })}\n`);
};

say('process.start', { timeOrigin: performance.timeOrigin });
let firstBar = false;
const accept = StreamTracker.prototype.accept;
StreamTracker.prototype.accept = function (this: StreamTracker, bar: Bar, seq?: number) {
  if (!firstBar && bar.final) {
    firstBar = true;
    say('first.bar', { receivedAt: bar.receivedAt });
  }
  return accept.call(this, bar, seq);
};
const open = DuckDBRealtimeWriter.open;
DuckDBRealtimeWriter.open = async function (...args: Parameters<typeof open>) {
  const writer = await open.apply(this, args);
  say('writer.opened');
  let durable = false;
  writer.on('writer.flushed', (e) => {
    if (durable || e.durable < 1) return;
    durable = true;
    say('first.durable', { rows: e.durable, reason: e.reason });
  });
  return writer;
};
