/**
 * Drives the connection machine's handshake (and the subscription set's per-stream answers) through the real
 * Massive/Polygon provider against the Polygon simulator on loopback. `connection.start` is `connect()` (then a
 * subscription); a fatal `handshake.failed` is a key the simulator does not accept; a non-fatal one is an `auth`
 * the simulator swallows until its `auth_timeout`; `after(handshakeTimeout)` is an `auth` the simulator swallows
 * for longer than the provider's `auth_timeout_ms` (200 ms); `socket.closed` while handshaking is a dropped connection whose
 * `auth` went unanswered; `socket.closed` while open is a `max_connections` eviction, and `connection.fatal` the
 * second eviction in a row (`max_evictions` 1); `connection.rotate` is sent to the real actor. Refused streams
 * are the simulator's `refuseParams` fault. Answers and timers are the system's own doing.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { ConnectionContext } from '../../../machines/connection.machine.ts';
import type { Bar } from '../../../src/domain/bar.ts';
import { PolygonRealtimeProvider } from '../../../src/providers/polygon/index.ts';
import { startPolygonSimulator, type PolygonSimulator } from '../../../src/sim/polygon/index.ts';
import type { Driver, PlannedPath } from '../../support/machine-paths/paths.ts';
import type { InspectionRecorder } from '../../support/machine-paths/recorder.ts';
import { code } from './session-fixtures.ts';

const KEY = 'pk_paths_5be0c1d2';
export const POLYGON_SYMBOL = 'AAPL';
export const POLYGON_STREAM = `AM.${POLYGON_SYMBOL}`;

/** A running system for one path. */
export interface PolygonSystem {
  readonly sim: PolygonSimulator;
  readonly provider: PolygonRealtimeProvider;
  readonly bars: Bar[];
  readonly errors: string[];
  readonly path: PlannedPath;
  readonly recorder: InspectionRecorder;
  step: number;
}

const value = (s: AnyMachineSnapshot) => JSON.stringify(s.value);
const ctx = (s: AnyMachineSnapshot) => s.context as ConnectionContext;
const isHandshakeTimer = (type: string): boolean => type.startsWith('xstate.after.handshakeTimeout.');
const handshakeFault = (path: PlannedPath, from: number): 'swallow' | 'none' => {
  // The outcome of the next handshake after step `from`: swallowed auth for a timeout or a drop.
  for (let i = from + 1; i < path.steps.length; i++) {
    if (value(path.steps[i - 1]!.state) !== '"handshaking"') continue;
    const e = path.steps[i]!.event as { type: string; fatal?: boolean };
    return (e.type === 'handshake.failed' && !e.fatal) || e.type === 'socket.closed' || isHandshakeTimer(e.type) ? 'swallow' : 'none';
  }
  return 'none';
};

/** The Massive driver of the connection actor (the root) or its subscription set. */
export const polygonDriver = (observe: 'connection' | 'subscriptions', refuse = false): Driver<PolygonSystem> => ({
  async start(path, recorder: InspectionRecorder) {
    const fatalAuth = path.steps.some((s) => s.event.type === 'handshake.failed' && (s.event as { fatal?: boolean }).fatal);
    const timesOut = path.steps.some((s) => s.event.type === 'handshake.failed' && !(s.event as { fatal?: boolean }).fatal);
    // The client's own timer: the simulator stays silent (its `auth_timeout` a minute away), the client waits 200 ms.
    const clientTimesOut = path.steps.some((s) => isHandshakeTimer(s.event.type));
    const sim = await startPolygonSimulator({
      tickMs: 10, marketStepMs: 20_000, apiKeys: fatalAuth ? ['pk_someone_else'] : [KEY], quietMinuteRate: 0,
      // A swallowed auth ends in `auth_timeout` quickly when the path waits for it, never when it drops the socket.
      authTimeoutMs: timesOut ? 200 : 60_000, maxConnectionsPerKey: 2,
    });
    if (refuse) sim.refuseParams([POLYGON_STREAM]);
    const provider = new PolygonRealtimeProvider({
      api_key: KEY, ws_url: sim.wsUrl, rest_url: sim.restUrl, reconnect_attempts: 3, reconnect_delay_ms: 20, reconnect_max_delay_ms: 40,
      // Evictions count as a run only while the connection is young (on the wall clock, not the simulator's fast
      // market clock): the second one in a row gives up.
      healthy_after_ms: 600_000, max_evictions: 1, close_check_interval_ms: 20, aggregate_close_grace_ms: 120_000, backfill: false,
      ...(clientTimesOut ? { auth_timeout_ms: 200 } : {}),
    }, { inspect: recorder.inspect });
    const system: PolygonSystem = { sim, provider, bars: [], errors: [], path, recorder, step: 0 };
    provider.onData((bar) => {
      system.bars.push(bar);
      recorder.poke();
    });
    provider.onError((e) => {
      system.errors.push(e.code);
      recorder.poke();
    });
    if (handshakeFault(path, 0) === 'swallow') sim.ignoreNextAuth(1);
    return system;
  },
  observed(system) {
    const actor = system.provider.connectionActors[0];
    return observe === 'connection' ? actor : actor?.system.get('subscriptions');
  },
  act(system, event, before) {
    const i = ++system.step;
    const { sim, provider } = system;
    // Arm the simulator for the next handshake before anything dials it (a rotation, a reconnect after a backoff).
    const dials = value(system.path.steps[i]!.state) === '"connecting"' || (event.type === 'connection.rotate');
    if (i > 1 && dials && handshakeFault(system.path, i) === 'swallow') sim.ignoreNextAuth(1);
    switch (event.type) {
      case 'connection.start':
      case 'connection.ready':
        return void provider.connect().then(() => provider.subscribe([POLYGON_SYMBOL], '1m')).catch(() => {});
      case 'connection.rotate': return void provider.connectionActors[0]!.send({ type: 'connection.rotate' });
      case 'connection.fatal': return void sim.disconnectWith('max_connections');
      case 'socket.closed':
        if (before.matches('open') && ctx(before).draining === null) return void sim.disconnectWith('max_connections');
        // Handshaking: the newest connection (the one whose auth went unanswered) drops.
        return void sim.dropConnections((c) => c.id === Math.max(...sim.connections().filter((x) => !x.closed).map((x) => x.id)));
      default:
        // Status answers, bars and timers: the system's own doing.
    }
  },
  async check(system, path) {
    const { bars, errors } = system;
    const times = bars.filter((b) => b.final).map((b) => b.openTime);
    if (new Set(times).size !== times.length) throw new Error(`a bar was delivered twice: ${times.join(',')}`);
    for (let i = 1; i < times.length; i++) if (times[i]! <= times[i - 1]!) throw new Error('bars out of order');
    for (const b of bars.filter((x) => x.final)) {
      const truth = system.sim.closedBars(b.symbol, '1m', b.openTime, b.openTime)[0];
      if (!truth || truth.c !== b.close || truth.o !== b.open || truth.h !== b.high || truth.l !== b.low || (truth.v ?? 0) !== b.volume) {
        throw new Error(`bar ${b.openTime} differs from the simulator's: ${JSON.stringify(b)} vs ${JSON.stringify(truth)}`);
      }
    }
    const end = path.steps.at(-1)!.state;
    if (observe === 'connection' && end.matches('failed')) {
      const fatal = path.steps.some((s) => s.event.type === 'handshake.failed') ? code('AUTHENTICATION_FAILED') : code('CONNECTION_FAILED');
      await system.recorder.until(() => (errors.includes(fatal) ? true : undefined), `${fatal} reported`, 5_000);
    }
    if (refuse) await system.recorder.until(() => (errors.includes(code('SUBSCRIPTION_REJECTED')) ? true : undefined), 'the refused stream reported', 5_000);
  },
  async stop(system) {
    await system.provider.disconnect();
    await system.sim.close();
  },
});
