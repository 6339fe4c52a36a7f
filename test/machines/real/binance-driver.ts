/**
 * Drives the connection and subscription-set machines through the real Binance provider against the Binance
 * simulator on loopback (behind a fault proxy). Each machine event becomes what causes it in the real system:
 * `connection.start` is `connect()`, `connection.stop` is `disconnect()`, `socket.closed` is a dropped connection
 * (1006), a refused dial or the old socket of a rotation cut, `server.shutdown` is the simulator's `serverShutdown`,
 * `after(watchdog)` is a stalled simulator with a short `stale_after_ms`, `after(connectTimeout)` a dial that is never
 * answered, the spacing timer with a request unanswered is the simulator holding its control replies; replies,
 * frames and the other timers are the system's own doing.
 */
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import type { ConnectionContext } from '../../../machines/connection.machine.ts';
import type { Bar } from '../../../src/domain/bar.ts';
import { BinanceRealtimeProvider } from '../../../src/providers/binance/index.ts';
import { startBinanceSimulator, type BinanceSimulator } from '../../../src/sim/binance/index.ts';
import { startFaultProxy, type Fate, type FaultProxy } from '../../support/machine-paths/fault-proxy.ts';
import type { Driver, PlannedPath } from '../../support/machine-paths/paths.ts';
import type { InspectionRecorder } from '../../support/machine-paths/recorder.ts';

export const SYMBOL = 'BTCUSDT';
export const STREAM = 'btcusdt@kline_1m';

/** A running system for one path. */
export interface BinanceSystem {
  readonly sim: BinanceSimulator;
  readonly proxy: FaultProxy;
  readonly provider: BinanceRealtimeProvider;
  readonly recorder: InspectionRecorder;
  readonly bars: Bar[];
  readonly errors: string[];
  readonly path: PlannedPath;
}

const eventsOf = (path: PlannedPath) => path.steps.map((s) => s.event.type);
const uses = (path: PlannedPath, type: string) => eventsOf(path).includes(type);
const ctx = (s: AnyMachineSnapshot) => s.context as ConnectionContext;

/** The fate of each dial, read from the path: the step after each entry into `connecting` decides it. */
export const dialFates = (path: PlannedPath): Fate[] => {
  const fates: Fate[] = [];
  path.steps.forEach((step, i) => {
    if (JSON.stringify(step.state.value) !== '"connecting"') return;
    const prev = path.steps[i - 1]?.state.value;
    if (i > 0 && JSON.stringify(prev) === '"connecting"') return;
    const next = path.steps[i + 1]?.event as { type: string; gen?: number } | undefined;
    const toDraining = next?.type === 'socket.closed' && next.gen === ctx(step.state).draining;
    // The old socket of a rotation is cut while the new one is still dialling: that dial must hang.
    fates.push(toDraining || next?.type.startsWith('xstate.after.connectTimeout') ? 'blackhole' : next?.type === 'socket.closed' ? 'refuse' : 'pass');
  });
  return fates;
};

/**
 * True when the path lets the spacing timer run while a request is unanswered (two requests in flight): the
 * simulator holds its control replies from the start until the path's first answer.
 */
export const holdsReplies = (path: PlannedPath): boolean =>
  path.steps.some((step, i) => step.event.type.startsWith('xstate.after.gap.')
    && ((path.steps[i - 1]?.state.context as { pending?: readonly unknown[] } | undefined)?.pending?.length ?? 0) > 0);

const newest = (sim: BinanceSimulator) => Math.max(...sim.connections().filter((c) => !c.closed).map((c) => c.id));
const oldest = (sim: BinanceSimulator) => Math.min(...sim.connections().filter((c) => !c.closed).map((c) => c.id));

/** The driver of the connection actor (the root) or its subscription set (`systemId` `subscriptions`). */
export const binanceDriver = (observe: 'connection' | 'subscriptions', symbols: readonly string[] = [SYMBOL]): Driver<BinanceSystem> => ({
  async start(path, recorder) {
    const pings = uses(path, 'ping.received');
    const sim = await startBinanceSimulator({
      tickMs: 20, marketStepMs: 20_000, shutdownGraceMs: 30_000, symbols: [SYMBOL, 'ETHUSDT'], pingIntervalMs: pings ? 1_000 : 600_000,
    });
    if (holdsReplies(path)) sim.holdControlReplies();
    const proxy = await startFaultProxy(sim.port);
    proxy.fates.push(...dialFates(path));
    // A connection that must never answer its subscription: stalled as soon as it exists, before any request.
    if (uses(path, 'subscriptions.unresponsive') || uses(path, 'xstate.after.ackTimeout.subscriptions.online.acks.awaiting')) {
      sim.once('connection', () => sim.stall('forever'));
    }
    const provider = new BinanceRealtimeProvider({
      ws_url: proxy.wsUrl, rest_url: sim.restUrl,
      reconnect_attempts: 1, reconnect_delay_ms: 20, reconnect_max_delay_ms: 40,
      healthy_after_ms: path.steps.some((s) => s.event.type.startsWith('xstate.after.healthy')) ? 50 : 600_000,
      stale_after_ms: path.steps.some((s) => s.event.type.startsWith('xstate.after.watchdog')) ? 300 : 600_000,
      max_connection_age_ms: path.steps.some((s) => s.event.type.startsWith('xstate.after.maxAge')) ? 400 : 0,
      silent_stream_ms: 600_000, validate_symbols: false,
    }, { inspect: recorder.inspect, seed: 7 });
    const system: BinanceSystem = { sim, proxy, provider, recorder, bars: [], errors: [], path };
    provider.onData((bar) => {
      system.bars.push(bar);
      recorder.poke();
    });
    provider.onError((e) => system.errors.push(e.code));
    // A path that stops before it starts needs the actor in `idle`: subscribing first creates it there.
    if (path.steps[1]?.event.type === 'connection.stop') provider.subscribe(symbols, '1m').catch(() => {});
    return system;
  },
  observed(system) {
    const actor = system.provider.connectionActors[0];
    return observe === 'connection' ? actor : actor?.system.get('subscriptions');
  },
  act(system, event, before) {
    const { sim, provider } = system;
    const type = event.type;
    if (type === 'connection.start' || type === 'connection.ready') {
      // `connect()` creates the actor and starts it; the streams follow once it is connected. When the path goes
      // on from a synchronised set, the next action waits for it (the set first syncs empty, then with the streams).
      const started = provider.connect().then(() => provider.subscribe(symbols, '1m'));
      const steps = eventsOf(system.path);
      if (steps[2] === 'socket.opened' && steps[3] === 'subscriptions.synced' && steps.length > 4) return started;
      return void started.catch(() => {});
    }
    if (type === 'connection.stop') return void provider.disconnect();
    // The set goes offline when its socket does: a dropped connection.
    if (type === 'connection.down') {
      if (uses(system.path, 'control.error')) sim.rejectStreams([STREAM]);
      return void sim.dropConnections();
    }
    if (type === 'connection.rotate') return void provider.connectionActors[0]!.send({ type: 'connection.rotate' });
    if (type === 'server.shutdown') return void sim.serverShutdown(30_000);
    if (type === 'subscriptions.remove') return void provider.unsubscribe(symbols).catch(() => {});
    const draining = observe === 'connection' && ctx(before).draining !== null && (event as { gen?: number }).gen === ctx(before).draining;
    if (type === 'socket.closed' && (draining || JSON.stringify(before.value) !== '"connecting"')) {
      const id = draining ? oldest(sim) : newest(sim);
      sim.dropConnections((c) => c.id === id);
      return;
    }
    if (type.startsWith('xstate.after.watchdog')) return void sim.stall('forever');
    // The held answers go out together, in order, once the real set has as many requests in flight as the path
    // (the spacing timer keeps the state's value, so the harness cannot wait for it by the state sequence).
    if (type === 'control.ack' && holdsReplies(system.path)) {
      const want = (before.context as { pending: readonly unknown[] }).pending.length;
      const inFlight = () => (system.provider.connectionActors[0]?.system.get('subscriptions')?.getSnapshot().context as { pending?: readonly unknown[] } | undefined)?.pending?.length ?? 0;
      return system.recorder.until(() => (inFlight() >= want ? true : undefined), `${want} requests in flight`).then(() => sim.releaseControlReplies());
    }
    // Everything else is the real system's own doing (replies, frames, timers), or was armed at start.
  },
  async check(system, path) {
    const { sim, bars } = system;
    // Every bar delivered is the simulator's closed bar, to the last value, and none twice or out of order.
    for (const symbol of symbols) {
      const times = bars.filter((b) => b.symbol === symbol).map((b) => b.openTime);
      if (new Set(times).size !== times.length) throw new Error(`a bar was delivered twice: ${times.join(',')}`);
      for (let i = 1; i < times.length; i++) if (times[i]! <= times[i - 1]!) throw new Error('bars out of order');
    }
    for (const bar of bars) {
      const truth = sim.bar(bar.symbol, '1m', bar.openTime);
      const same = bar.final && bar.open === Number(truth.o) && bar.high === Number(truth.h) && bar.low === Number(truth.l)
        && bar.close === Number(truth.c) && bar.volume === Number(truth.v) && bar.closeTime === truth.T;
      if (!same) throw new Error(`bar ${bar.openTime} differs from the simulator's: ${JSON.stringify(bar)} vs ${JSON.stringify(truth)}`);
    }
    // No fault garbles frames here: every frame the provider got decoded.
    if (system.errors.includes('INVALID_MESSAGE')) throw new Error('the provider reported a malformed frame');
    const end = path.steps.at(-1)!.state;
    // A path that ends streaming must go on streaming: a bar newer than now arrives, and no closed bar is missing
    // between the first and the last delivered (gaps are backfilled).
    const sub = end.context as { desired?: readonly string[]; confirmed?: readonly string[] };
    const streaming = observe === 'connection' ? end.matches('open')
      : (sub.confirmed ?? []).includes(STREAM) && (sub.desired ?? []).includes(STREAM);
    if (streaming) {
      const now = sim.now();
      await system.recorder.until(() => {
        const got = bars.filter((b) => b.symbol === SYMBOL);
        if (got.length === 0 || got.at(-1)!.openTime < now) return undefined;
        const truth = sim.closedBars(SYMBOL, '1m', got[0]!.openTime, got.at(-1)!.openTime).map((k) => k.t);
        return truth.length === got.length ? true : undefined;
      }, 'a new bar, and every closed bar between the first and the last delivered');
    }
  },
  async stop(system) {
    await system.provider.disconnect();
    await system.proxy.close();
    await system.sim.close();
  },
});
