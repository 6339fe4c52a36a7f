/**
 * `argo-realtime replay` and `argo-realtime trace summarize`: a recorded session fed again through the session
 * machine with the paper broker and a strategy (a backtest on recorded live data), and the text summary of a
 * trace file written by `--trace`.
 */
import { resolve } from 'node:path';
import pc from 'picocolors';
import { combineInspect, createTraceWriter, startMetricsServer, summarizeTrace, type MetricsServer } from '../observability/index.ts';
import { parseReplaySpeed, replaySession } from '../replay/index.ts';
import type { RealtimeSession } from '../session/index.ts';
import { EXIT, exitCodeFor, type ExitCode } from './exit-codes.ts';
import { printError, type Output } from './output.ts';

/** Options of `replay`. */
export interface ReplayCommandOptions {
  readonly db: string;
  readonly session?: string;
  readonly strategy: string;
  /** `max` or `<n>x`. */
  readonly speed?: string;
  readonly out?: string;
  readonly flushEvery?: number;
  readonly strategyConfig?: string;
  readonly trace?: string;
  /** Serve Prometheus metrics of the replay session on this loopback port. */
  readonly metrics?: number;
}

/** `replay`: prints the orders, fills and account the strategy produced on the recording. */
export const runReplay = async (out: Output, o: ReplayCommandOptions): Promise<ExitCode> => {
  const trace = o.trace ? createTraceWriter(o.trace) : undefined;
  let metrics: MetricsServer | undefined;
  try {
    let session: RealtimeSession | undefined;
    if (o.metrics !== undefined) {
      metrics = await startMetricsServer({ port: o.metrics, stats: () => session?.stats() });
      out.line(`${pc.bold('metrics')}: ${metrics.url}`);
    }
    const strategyConfig = o.strategyConfig ? (JSON.parse(o.strategyConfig) as Record<string, unknown>) : undefined;
    const inspect = combineInspect(trace?.inspect);
    const r = await replaySession({
      dbPath: o.db, strategyPath: resolve(o.strategy),
      ...(o.session ? { sessionId: o.session } : {}),
      ...(o.speed ? { speed: parseReplaySpeed(o.speed) } : {}),
      ...(o.out ? { outputPath: o.out } : {}),
      ...(o.flushEvery ? { flushEvery: o.flushEvery } : {}),
      ...(strategyConfig ? { strategyConfig } : {}),
      ...(inspect ? { inspect } : {}),
      onSession: (s) => { session = s; trace?.attach(s); },
    });
    out.line(`${pc.bold('replay')} of ${o.db}${r.sourceSessionId ? ` (session ${r.sourceSessionId})` : ''}: ${r.bars} bars in ${(r.wallMs / 1000).toFixed(1)} s → ${r.outputPath}`);
    for (const order of r.orders) {
      out.line(`  ${order.id} ${order.side.toUpperCase()} ${order.quantity} ${order.symbol} ${order.type} ${order.status}${order.filledQuantity ? ` @ ${order.averagePrice.toFixed(2)}` : ''}`);
    }
    out.line(`  orders ${r.orders.length}, fills ${r.fills.length}`);
    if (r.account) out.line(`  equity ${r.account.equity.toFixed(2)} ${r.account.currency}, cash ${r.account.cash.toFixed(2)}, realized ${r.account.realizedPnl.toFixed(2)}, unrealized ${r.account.unrealizedPnl.toFixed(2)}, fees ${r.account.fees.toFixed(2)}`);
    return r.summary.state === 'stopped' ? EXIT.ok : EXIT.failure;
  } catch (e) {
    printError(out, e);
    return exitCodeFor(e);
  } finally {
    await trace?.close();
    await metrics?.close();
  }
};

/** `trace summarize <file>`. */
export const runTraceSummarize = async (out: Output, file: string): Promise<ExitCode> => {
  try {
    out.raw(`${(await summarizeTrace(file)).text}\n`);
    return EXIT.ok;
  } catch (e) {
    printError(out, e);
    return exitCodeFor(e);
  }
};
