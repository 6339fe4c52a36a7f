/**
 * Drives the session machine through the real session (`createRealtimeSession`): the Binance provider against the
 * Binance simulator (behind a fault proxy), a real DuckDB file in a temp dir, a real strategy file, the paper
 * broker. `session.start`/`stop` are `start()`/`stop()`; child failures are real faults: a storage path the writer
 * cannot create (`writer.failed` while opening), the file deleted under the running session (STORAGE_LOST), a
 * strategy that throws on load or never finishes loading (the step timeout), one that throws or spins once a gate
 * file exists (halted under `on_error: stop`), every dial refused (the provider's connection fails: CONNECTION_FAILED).
 * Replies of healthy children, bars and timers are the system's own doing.
 */
import { rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyActorRef, AnyMachineSnapshot } from 'xstate';
import type { SessionContext } from '../../../machines/session.machine.ts';
import { decodeSessionConfig } from '../../../src/config/session-config.ts';
import type { Order } from '../../../src/domain/trading.ts';
import { createRealtimeSession, type RealtimeSession } from '../../../src/session/index.ts';
import type { SessionSummary } from '../../../src/session/types.ts';
import { startBinanceSimulator, type BinanceSimulator } from '../../../src/sim/binance/index.ts';
import type { StrategyEvent } from '../../../src/strategy/events.ts';
import { startFaultProxy, type FaultProxy } from '../../support/machine-paths/fault-proxy.ts';
import type { Driver, PlannedPath } from '../../support/machine-paths/paths.ts';
import type { InspectionRecorder } from '../../support/machine-paths/recorder.ts';
import { checkStoredBars, code, FAULT_STRATEGY, readLog, TRADING_STRATEGY } from './session-fixtures.ts';

export const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
/** The step timeout of paths that wait for one (a strategy that never loads); others never time out. */
export const SHORT_STEP_MS = 1_500;

/** How a plain run differs: a strategy failure the session rides out (policy `skip`), the kill switch, a resume. */
export type Scenario = 'trade' | 'skip-throw' | 'skip-loop' | 'halt-throw' | 'halt-loop' | 'kill' | 'resume';

/** A running system for one path. */
export interface SessionSystem {
  readonly sim: BinanceSimulator;
  readonly proxy: FaultProxy;
  readonly session: RealtimeSession;
  readonly db: string;
  readonly gate: string;
  readonly orders: Order[];
  readonly strategyEvents: StrategyEvent[];
  readonly errors: string[];
  readonly recorder: InspectionRecorder;
  summary?: SessionSummary;
}

const valueOf = (s: AnyMachineSnapshot) => JSON.stringify(s.value);
const failingIn = (path: PlannedPath, type: string, state: string) =>
  path.steps.some((s, i) => s.event.type === type && i > 0 && valueOf(path.steps[i - 1]!.state).includes(state));

/** The config of a session for a path: its faults are read from the path's events before it starts. */
const configFor = (path: PlannedPath, scenario: Scenario, s: { proxy: FaultProxy; sim: BinanceSimulator; dir: string; db: string; gate: string; id: string }) => {
  // A load that fails, answered while starting or after a stop that came while it was in flight.
  const loadFails = failingIn(path, 'strategy.failed', 'Strategy');
  const loadHangs = path.steps.some((st) => st.event.type.startsWith('xstate.after.step.session.starting.loadingStrategy'));
  const halts = path.steps.some((st) => st.event.type === 'strategy.halted');
  const mode = loadFails ? 'throw-on-load' : loadHangs ? 'hang-on-load' : scenario.endsWith('loop') ? 'loop' : scenario.endsWith('throw') ? 'throw' : undefined;
  const faulty = mode !== undefined || halts;
  return decodeSessionConfig({
    session: {
      id: s.id,
      realtime_provider: 'binance-realtime',
      realtime_provider_config: {
        ws_url: s.proxy.wsUrl, rest_url: s.sim.restUrl, reconnect_attempts: 1, reconnect_delay_ms: 20, reconnect_max_delay_ms: 40, validate_symbols: false,
      },
      trading_provider: 'paper',
      // A path whose writer fails to open gets a folder it cannot create (a plain file stands in the way).
      storage_config: { output_path: failingIn(path, 'writer.failed', 'openingWriter') ? join(s.dir, 'blocked', 'x.duckdb') : s.db, flush_interval_ms: 100 },
      symbols: SYMBOLS,
      interval: '1m',
    },
    ...(!(path.steps[0]!.state.context as SessionContext).hasStrategy ? {} : {
      strategy: faulty
      ? { path: FAULT_STRATEGY, isolation: 'trusted', config: { mode: mode ?? (scenario === 'halt-loop' ? 'loop' : 'throw'), gate: s.gate }, budget_ms: 300, on_error: halts || scenario.startsWith('halt') ? 'stop' : 'skip' }
      : { path: TRADING_STRATEGY, config: {}, budget_ms: 2_000 },
    }),
  });
};

let runs = 0;

/** The driver of the session actor; `resumeOf` reopens an earlier run's file under the same session id. */
export const sessionDriver = (scenario: Scenario = 'trade', resumeOf?: { db: string; id: string }): Driver<SessionSystem> => ({
  async start(path, recorder) {
    const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000, shutdownGraceMs: 30_000, symbols: SYMBOLS, pingIntervalMs: 600_000 });
    const proxy = await startFaultProxy(sim.port);
    // A provider that cannot connect at all: the first dial and its one retry are refused.
    if (failingIn(path, 'marketData.failed', 'startingMarketData')) proxy.fates.push('refuse', 'refuse', 'refuse');
    // A halt while market data is still starting: the simulator never answers a SUBSCRIBE (its streams flow all
    // the same), so subscribe() stays unanswered and the session in startingMarketData while bars reach the strategy.
    if (failingIn(path, 'strategy.halted', 'startingMarketData')) sim.holdControlReplies();
    const dir = mkdtempSync(join(tmpdir(), 'argo-session-paths-'));
    const db = resumeOf?.db ?? join(dir, 'session.duckdb');
    if (failingIn(path, 'writer.failed', 'openingWriter')) writeFileSync(join(dir, 'blocked'), 'not a folder');
    const gate = join(dir, 'gate');
    const id = resumeOf?.id ?? `paths-${++runs}`;
    const needsTimeout = path.steps.some((st) => st.event.type.startsWith('xstate.after.step.'));
    const session = createRealtimeSession(configFor(path, scenario, { proxy, sim, dir, db, gate, id }), {
      inspect: recorder.inspect, stepTimeoutMs: needsTimeout ? SHORT_STEP_MS : 60_000,
    });
    const system: SessionSystem = { sim, proxy, session, db, gate, orders: [], strategyEvents: [], errors: [], recorder };
    session.on('order', (o) => { system.orders.push(o); recorder.poke(); });
    session.on('error', (e) => system.errors.push(e.code));
    session.on('strategy', (e) => {
      system.strategyEvents.push(e);
      // One failure is enough: the gate closes so that a `skip` strategy recovers instead of failing on every bar.
      if (e.type === 'strategy.failed' || e.type === 'strategy.restarted' || e.type === 'strategy.halted') rmSync(gate, { force: true });
      recorder.poke();
    });
    return system;
  },
  observed: (system): AnyActorRef => system.session.actor,
  async act(system, event, before) {
    const { session, sim, proxy } = system;
    switch (event.type) {
      case 'session.start': return void session.start().catch(() => {});
      case 'session.stop': {
        if (valueOf(before) === '"running"') await beforeStop(system, scenario);
        return void session.stop('path').catch(() => {});
      }
      case 'writer.failed':
        // Running: the file deleted under the session (the guard notices before its next flush).
        if (valueOf(before) === '"running"') for (const suffix of ['', '.wal']) rmSync(`${system.db}${suffix}`, { force: true });
        return;
      case 'marketData.failed':
        if (valueOf(before) === '"running"') {
          proxy.fates.push('refuse', 'refuse', 'refuse');
          sim.dropConnections();
        }
        return;
      case 'strategy.halted':
        // The strategy fails from its next bar on.
        return void writeFileSync(system.gate, '');
      default:
        // Replies of healthy children, bars and timers: the system's own doing.
    }
  },
  async check(system, path) {
    const { session, sim, db } = system;
    const summary = system.summary = await (async () => {
      if (!['stopped', 'failed'].includes(session.actor.getSnapshot().value as string)) void session.stop('end of path').catch(() => {});
      return session.done;
    })();
    const end = path.steps.at(-1)!.state;
    const failure = (end.context as SessionContext).failure;
    if (end.status === 'done' && (summary.state === 'failed') !== (failure !== null)) throw new Error(`the session ended ${summary.state}, the path ${valueOf(end)}`);
    if (failingIn(path, 'writer.failed', 'running') && summary.failure?.code !== code('STORAGE_LOST')) throw new Error(`expected STORAGE_LOST, got ${JSON.stringify(summary.failure)}`);
    if (path.steps.some((s) => s.event.type === 'marketData.failed') && summary.failure?.code !== code('CONNECTION_FAILED')) throw new Error(`expected CONNECTION_FAILED, got ${JSON.stringify(summary.failure)}`);
    if (path.steps.some((s) => s.event.type === 'strategy.halted') && summary.failure?.code !== code('STRATEGY_FAILED')) throw new Error(`expected STRATEGY_FAILED, got ${JSON.stringify(summary.failure)}`);
    // No file: the writer never opened, or it was deleted on purpose.
    if (!(end.context as SessionContext).started.writer) return;
    if (failingIn(path, 'writer.failed', 'openingWriter') || failingIn(path, 'writer.failed', 'running')) return;
    const stored = await checkStoredBars(db, sim, SYMBOLS);
    if (stored < summary.bars) throw new Error(`${summary.bars} bars received, ${stored} stored`);
    const log = await readLog(db, session.id);
    // Every order that reached the broker has its placement in the log; the fold of the log is the live broker.
    for (const o of system.orders) if (!o.rejectCode && !log.orderIds.has(o.id)) throw new Error(`order ${o.id} has no log entry`);
    if (summary.account !== null) {
      if (JSON.stringify(log.account) !== JSON.stringify(summary.account)) throw new Error(`folded account ${JSON.stringify(log.account)} differs from the live ${JSON.stringify(summary.account)}`);
      if (JSON.stringify(log.positions) !== JSON.stringify(summary.positions)) throw new Error(`folded positions ${JSON.stringify(log.positions)} differ from the live ${JSON.stringify(summary.positions)}`);
    }
    if (scenario === 'kill' && system.orders.filter((o) => o.status === 'cancelled').length === 0) throw new Error('the kill switch cancelled no open order');
    if (resumeOf && !summary.resumed) throw new Error('the second run did not resume the first');
  },
  async stop(system) {
    if (!system.summary) {
      void system.session.stop('teardown').catch(() => {});
      await system.session.done;
    }
    await system.proxy.close();
    await system.sim.close();
  },
});

/** What a scenario does while running, before the stop: ride out a strategy failure, trip the kill switch. */
const beforeStop = async (system: SessionSystem, scenario: Scenario) => {
  const { recorder } = system;
  if (scenario === 'skip-throw' || scenario === 'skip-loop') {
    writeFileSync(system.gate, '');
    const recovered = scenario === 'skip-throw' ? 'strategy.failed' : 'strategy.restarted';
    await recorder.until(() => (system.strategyEvents.some((e) => e.type === recovered) ? true : undefined), recovered, 20_000);
    if (system.strategyEvents.some((e) => e.type === 'strategy.halted')) throw new Error('a skip strategy halted');
  }
  const trades = (system.session.actor.getSnapshot().context as SessionContext).hasStrategy;
  if (trades && (scenario === 'trade' || scenario === 'kill' || scenario === 'resume')) {
    // The strategy has traded: a filled buy, and a resting limit order.
    await recorder.until(() => (system.orders.some((o) => o.type === 'limit' && o.status === 'accepted') && system.orders.some((o) => o.status === 'filled') ? true : undefined), 'a fill and an open limit order', 20_000);
  }
  if (scenario === 'kill') {
    await system.session.kill('path');
    await recorder.until(() => (system.orders.some((o) => o.type === 'limit' && o.status === 'cancelled') ? true : undefined), 'the open order cancelled by the kill switch');
  }
};
