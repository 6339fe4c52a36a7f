/**
 * The connection machine's own paths, run against the real system: the Binance provider, real sockets through a
 * fault proxy, and the Binance simulator. Paths are planned from the machine's graph; each one runs on a fresh
 * system, the real connection actor's state sequence must equal the path, the bars delivered must be the
 * simulator's, and the run's coverage (with the subscription set seen as a child) is reported.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { connectionMachine, type ConnectionContext, type ConnectionInput } from '../../../machines/connection.machine.ts';
import { Coverage } from '../../support/machine-paths/coverage.ts';
import { describePath, planPaths, runPath } from '../../support/machine-paths/paths.ts';
import { InspectionRecorder } from '../../support/machine-paths/recorder.ts';
import { binanceDriver, STREAM } from './binance-driver.ts';
import { subscriptionsMachine } from '../../../machines/subscriptions.machine.ts';

const input: ConnectionInput = {
  seed: 7,
  policy: {
    baseDelayMs: 20, maxDelayMs: 40, jitter: 0.5, maxAttempts: 1, healthyAfterMs: 50, connectTimeoutMs: 10_000, handshakeTimeoutMs: 10_000,
    staleAfterMs: 300, idleTimeoutMs: 75_000, maxAgeMs: 400, handshake: false,
  },
  subscriptions: { controlPerSecond: 5, ackTimeoutMs: 10_000, maxStreamsPerMessage: 200, initial: [STREAM] },
};

const c = (s: AnyMachineSnapshot) => s.context as ConnectionContext;
const timer = (s: AnyMachineSnapshot, delay: string): EventObject[] =>
  s._nodes.flatMap((n) => n.after.filter((t) => t.eventType.startsWith(`xstate.after.${delay}.`)).map((t) => ({ type: t.eventType })));

/** What can happen next in the real system, in each state: what the driver causes, and what the system does itself. */
const events = (s: AnyMachineSnapshot): EventObject[] => {
  const { gen, draining, expectData } = c(s);
  const rotating = draining !== null;
  if (s.matches('idle')) return [{ type: 'connection.start' }, { type: 'connection.stop' }];
  if (s.matches('connecting')) {
    return [
      { type: 'socket.opened', gen } as EventObject,
      { type: 'socket.closed', gen, code: 1006, reason: '' } as EventObject,
      ...timer(s, 'connectTimeout'),
      ...(rotating ? [{ type: 'socket.closed', gen: draining, code: 1006, reason: '' } as EventObject] : [{ type: 'connection.stop' }]),
    ];
  }
  if (s.matches('open')) {
    // A fresh socket is resubscribed at once: the set's answer (or its silence) comes before anything else.
    if (!expectData || rotating) {
      return [{ type: 'subscriptions.synced', gen, count: 1 } as EventObject, ...(rotating ? [] : [{ type: 'subscriptions.unresponsive', gen } as EventObject])];
    }
    return [
      { type: 'socket.activity', gen } as EventObject,
      { type: 'socket.closed', gen, code: 1006, reason: '' } as EventObject,
      { type: 'server.shutdown', gen } as EventObject,
      { type: 'connection.rotate' },
      { type: 'connection.stop' },
      ...timer(s, 'watchdog'), ...timer(s, 'maxAge'), ...timer(s, 'healthy'),
    ];
  }
  if (s.matches('backoff')) return timer(s, 'backoff');
  return [];
};

const serializeState = (s: AnyMachineSnapshot): string =>
  JSON.stringify({ value: s.value, rotating: c(s).draining !== null, failures: c(s).failures, failed: c(s).failure !== null, expectData: c(s).expectData });

const coverage = new Coverage([connectionMachine, subscriptionsMachine]);
const paths = planPaths(connectionMachine, { input, events, serializeState });

describe('connection machine paths against the Binance provider and simulator', () => {
  afterAll(() => {
    coverage.write('connection');
  });

  it('plans paths from the machine graph', () => {
    expect(paths.length).toBeGreaterThan(10);
  });

  const names = new Map<string, number>();
  for (const path of paths) {
    const name = describePath(path);
    const n = (names.get(name) ?? 0) + 1;
    names.set(name, n);
    it(`walks ${name}${n > 1 ? ` (variant ${n})` : ''}`, async () => {
      if (path.takes.length > 0 && path.takes.every((k) => coverage.covered('connection', k))) return;
      const recorder = new InspectionRecorder();
      try {
        await runPath(path, binanceDriver('connection'), recorder);
        for (const k of path.takes) expect(recorder.seen.get('connection')?.transitions.has(k), k).toBe(true);
      } finally {
        coverage.add(recorder);
      }
    }, 40_000);
  }
});
