/**
 * Runs one session for `run`, `record` and `demo`: creates it, prints its events above a live status, stops it
 * gracefully on `--duration`, SIGINT or SIGTERM (a second signal forces the exit once the flush had a moment),
 * trips the risk engine's kill switch on SIGUSR2, and maps how it ended to an exit code. Everything printed goes through `Output` (redacted).
 */
import pc from 'picocolors';
import type { SessionConfig } from '../config/session-config.ts';
import { isRealtimeError } from '../errors.ts';
import type { RealtimeProviderDeps } from '../providers/registry.ts';
import { createRealtimeSession, type RealtimeSession, type SessionSummary } from '../session/index.ts';
import type { Order } from '../trading/types.ts';
import { EXIT, exitCodeFor, exitCodeForCode, type ExitCode } from './exit-codes.ts';
import { printError, type Output } from './output.ts';
import { onKillSignal, onStopSignals } from './signals.ts';
import { riskLine } from './risk-lines.ts';
import { durabilityLine, LiveStatus } from './status.ts';
import { checkWritable } from './writable.ts';
// Observability (prom-client, the Stately inspector) loads only when a flag asks for it: ~100 modules off start-up.
const observability = () => import('../observability/index.ts');

/** `--inspect[=port]`, `--trace <file>`, `--metrics <port>` and `--live` of run, record and demo. */
export interface ObservabilityFlags {
  /** Stately inspector relay on loopback: true for the default port, or a port. */
  readonly inspect?: boolean | number;
  /** Write inspection events as JSON lines to this file. */
  readonly trace?: string;
  /** Serve Prometheus metrics on this loopback port. */
  readonly metrics?: number;
  /** Confirms live trading (with `live: true` in the trading provider config). */
  readonly live?: boolean;
}

/** Options of {@link runSession}. */
export interface RunSessionOptions {
  readonly out: Output;
  readonly config: SessionConfig;
  /** Stop after this many seconds of running; until a signal when absent. */
  readonly durationS?: number;
  readonly providerDeps?: RealtimeProviderDeps;
  /** Called once the session runs (the demo schedules its faults here); `stopping` aborts when it stops. */
  readonly onRunning?: (session: RealtimeSession, context: { readonly stopping: AbortSignal; log(line: string): void }) => void;
  /** Called after the stop was requested and before the session stops (the demo pauses its simulator). */
  readonly beforeStop?: () => Promise<void>;
  /** Status redraw / plain-line periods (tests shorten them). */
  readonly statusEveryMs?: number;
  /** How long a second signal waits for the flush before exiting (default 3 s). */
  readonly forceGraceMs?: number;
  readonly observe?: ObservabilityFlags;
  /** The config key or flag that set the output file, named when it cannot be written (default the config key). */
  readonly outputKey?: string;
}

/** How a session run ended. */
export interface SessionRunResult {
  readonly code: ExitCode;
  readonly summary?: SessionSummary;
}

const orderText = (o: Order): string =>
  `${o.side.toUpperCase()} ${o.quantity} ${o.symbol} ${o.type}${o.price !== undefined ? ` @ ${o.price}` : ''}`;

/** Prints session events as lines above the status; returns a function that stops listening. */
const listen = (session: RealtimeSession, status: LiveStatus): (() => void) => {
  let malformed = 0;
  const riskText = riskLine();
  const offs = [
    session.on('state', (e) => status.log(`${pc.bold('session')} ${e.state}${e.reason ? ` (${e.reason})` : ''}`)),
    session.on('connection', (e) => status.log(`${pc.cyan('connection')} ${e.state}${e.reason ? pc.dim(` (${e.reason})`) : ''}`)),
    session.on('error', (e) => {
      // Malformed frames are skipped and counted; one line says so, the rest would drown the output.
      if (e.code === 'INVALID_MESSAGE' && ++malformed > 1) return;
      const more = e.code === 'INVALID_MESSAGE' ? pc.dim(' (further invalid frames are skipped silently and counted)') : '';
      status.log(`${pc.yellow(e.code)} ${e.message}${more}`);
    }),
    session.on('order', (o) => {
      if (o.status === 'accepted') status.log(`${pc.magenta('order')} placed ${orderText(o)}`);
      // Refusals of the risk engine are printed by the `risk` listener, which keeps a flood to a few lines.
      else if (o.status === 'rejected' && !o.rejectCode) status.log(`${pc.red('order')} rejected ${orderText(o)}: ${o.rejectReason ?? 'no reason given'}`);
      else if (o.status === 'cancelled') status.log(`${pc.yellow('order')} cancelled ${orderText(o)}${o.cancelReason ? `: ${o.cancelReason}` : ''}`);
    }),
    session.on('fill', (f) => status.log(`${pc.magenta('fill')}  ${f.side.toUpperCase()} ${f.quantity} ${f.symbol} @ ${f.price.toFixed(2)} ${pc.dim(`fee ${f.fee.toFixed(4)}`)}`)),
    session.on('strategy', (e) => {
      if (e.type === 'strategy.failed') status.log(`${pc.red('strategy failed')} (${e.reason}) ${e.message}`);
      else if (e.type === 'strategy.restarted') status.log(`${pc.yellow('strategy restarted')} after ${e.after} (${e.restarts} so far)`);
      else if (e.type === 'strategy.halted') status.log(`${pc.red('strategy halted')} (${e.reason}) ${e.message}`);
      else if (e.type === 'strategy.subscribed') status.log(`${pc.blue('strategy subscribed')} ${e.streams.join(', ')}`);
      else if (e.type === 'strategy.subscription_refused') status.log(`${pc.yellow('strategy subscription refused')} (${e.code}) ${e.message}${e.repeated ? pc.dim(` (${e.repeated} more not shown)`) : ''}`);
      else status.log(`${pc.yellow('strategy service failed')} ${e.method}: ${e.message}`);
    }),
    session.on('log', (e) => status.log(`${pc.blue('strategy')} ${e.level} ${e.message}${e.data === undefined ? '' : pc.dim(` ${JSON.stringify(e.data)}`)}`)),
    session.on('durability', (e) => {
      const text = durabilityLine(e);
      if (text) status.log(text);
    }),
    session.on('strategy.skipped', (e) => status.log(pc.yellow(`strategy queue full: ${e.skipped} bar(s) skipped (oldest first)`))),
    session.on('risk', (fact) => { const line = riskText(fact); if (line) status.log(line); }),
  ];
  return () => offs.forEach((off) => off());
};

/** The exit code for a start failure: the session reports which component failed and with which code. */
const startFailureCode = (e: unknown): ExitCode => {
  if (isRealtimeError(e) && e.data?.source === 'strategy' && e.code !== 'CONFIG_INVALID') return EXIT.failure;
  return exitCodeFor(e);
};

/** Runs a session to its end; resolves to the exit code and, once it started, its summary. */
export const runSession = async (options: RunSessionOptions): Promise<SessionRunResult> => {
  const { out, config } = options;
  const observe = options.observe ?? {};
  let session: RealtimeSession;
  const closers: (() => Promise<void>)[] = [];
  const closeObservers = async () => { for (const close of closers.splice(0).reverse()) await close().catch(() => undefined); };
  try {
    checkWritable(config.storage.output_path, options.outputKey ?? 'session.storage_config.output_path');
    const inspector = observe.inspect !== undefined && observe.inspect !== false
      ? await (await observability()).startInspector(observe.inspect === true ? {} : { port: observe.inspect }) : undefined;
    if (inspector) {
      closers.push(() => inspector.stop());
      out.line(`${pc.bold('Stately inspector')}: open ${inspector.url} (relay ${inspector.wsUrl}, loopback only)`);
    }
    const trace = observe.trace ? (await observability()).createTraceWriter(observe.trace) : undefined;
    if (trace) closers.push(() => trace.close());
    const inspect = inspector || trace ? (await observability()).combineInspect(inspector?.inspect, trace?.inspect) : undefined;
    session = createRealtimeSession(config, {
      ...(options.providerDeps ? { providerDeps: options.providerDeps } : {}),
      ...(inspect ? { inspect } : {}),
      ...(observe.live ? { liveConfirmed: true } : {}),
    });
    trace?.attach(session);
    if (observe.metrics !== undefined) {
      const metrics = await (await observability()).startMetricsServer({ port: observe.metrics, stats: () => session.stats() });
      closers.push(() => metrics.close());
      out.line(`${pc.bold('metrics')}: ${metrics.url}`);
    }
  } catch (e) {
    await closeObservers();
    printError(out, e);
    return { code: exitCodeFor(e) };
  }
  const liveTrading = observe.live === true && /-live$/.test(config.tradingProvider);
  const every = options.statusEveryMs;
  const status = new LiveStatus(out, () => session.stats(), { ...(every ? { redrawMs: Math.min(every, 250), plainEveryMs: every } : {}), live: liveTrading });
  const unlisten = listen(session, status);
  const stopping = new AbortController();
  let stopRequested: Promise<SessionSummary> | undefined;
  let forced = false;
  const requestStop = (reason: string): Promise<SessionSummary> => {
    if (!stopRequested) {
      stopping.abort();
      status.log(pc.bold(`stopping (${reason}): unsubscribing, flushing buffered rows, closing the file`));
      stopRequested = (options.beforeStop?.() ?? Promise.resolve()).catch(() => undefined).then(() => session.stop(reason));
    }
    return stopRequested;
  };
  const removeSignals = onStopSignals({
    graceful: (signal) => void requestStop(signal),
    force: (signal) => {
      forced = true;
      status.log(pc.red(`${signal} again: exiting once the buffered rows are flushed (at most ${((options.forceGraceMs ?? 3_000) / 1000).toFixed(0)} s)`));
      const timer = setTimeout(() => process.exit(EXIT.forced), options.forceGraceMs ?? 3_000);
      void session.done.then(() => { clearTimeout(timer); process.exit(EXIT.forced); });
    },
  });
  const removeKill = onKillSignal((signal) => {
    status.log(pc.red(`${signal}: tripping the kill switch (open orders are cancelled, new orders refused)`));
    session.kill(`${signal} (operator)`).catch((e: unknown) => printError(out, e));
  });
  let durationTimer: NodeJS.Timeout | undefined;
  try {
    status.start();
    // The duration counts from the start request: a session still connecting when it ends is stopped too.
    if (options.durationS !== undefined) {
      durationTimer = setTimeout(() => void requestStop(`--duration ${options.durationS}s elapsed`), options.durationS * 1000);
    }
    try {
      await session.start();
    } catch (e) {
      status.stop();
      if (stopRequested) {
        // Stopped while starting (Ctrl-C, --duration): the session undid what had started. The stop was asked
        // for, so it is not a failure, whatever the interrupted start step reported.
        const summary = await stopRequested;
        return { code: forced ? EXIT.forced : EXIT.ok, summary };
      }
      printError(out, e);
      await Promise.race([session.done, new Promise((r) => setTimeout(r, 5_000).unref())]);
      return { code: startFailureCode(e) };
    }
    options.onRunning?.(session, { stopping: stopping.signal, log: (line) => status.log(line) });
    const summary = await session.done;
    stopping.abort();
    status.stop();
    if (summary.state === 'failed') {
      out.error(`${pc.red(pc.bold('session failed'))} ${summary.failure ? `${summary.failure.code} (${summary.failure.source}): ${summary.failure.message}` : summary.reason ?? ''}`);
      const code = summary.failure?.source === 'strategy' && summary.failure.code !== 'CONFIG_INVALID' ? EXIT.failure : exitCodeForCode(summary.failure?.code);
      return { code, summary };
    }
    return { code: forced ? EXIT.forced : EXIT.ok, summary };
  } finally {
    if (durationTimer) clearTimeout(durationTimer);
    removeSignals();
    removeKill();
    unlisten();
    await closeObservers();
  }
};
