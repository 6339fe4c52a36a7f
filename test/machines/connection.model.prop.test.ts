/**
 * Model-based test of the connection machine and its subscription set against a fake venue, on a stepping
 * SimulatedClock. Random command sequences (subscribe, unsubscribe, answers fast or slow, drops, refused
 * connects, rejected streams, sockets that stop answering control messages, shutdown and age rotations, pings,
 * stop and start, time) must keep the per-socket message rate and the socket count within limits; once the
 * venue behaves, the confirmed set must converge to what the user asked for minus what the venue refuses, on
 * the client and on the server alike.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { sameSet } from '../../machines/lib/sets.ts';
import { ConnectionHarness } from './support/connection-harness.ts';
import { FakeServer } from './support/fake-server.ts';

const POOL = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'];

type Op =
  | { kind: 'add'; streams: string[] }
  | { kind: 'remove'; streams: string[] }
  | { kind: 'advance'; ms: number }
  | { kind: 'cut' }
  | { kind: 'cutDraining' }
  | { kind: 'shutdown' }
  | { kind: 'rotate' }
  | { kind: 'ping' }
  | { kind: 'activity' }
  | { kind: 'refuse'; count: number }
  | { kind: 'mute' }
  | { kind: 'stop' }
  | { kind: 'start' };

const streamsArb = fc.uniqueArray(fc.constantFrom(...POOL), { minLength: 1, maxLength: 4 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: streamsArb.map((streams) => ({ kind: 'add' as const, streams })) },
  { weight: 3, arbitrary: streamsArb.map((streams) => ({ kind: 'remove' as const, streams })) },
  { weight: 5, arbitrary: fc.constantFrom(1, 10, 100, 250, 700, 1_500, 4_500).map((ms) => ({ kind: 'advance' as const, ms })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cut' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cutDraining' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'shutdown' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rotate' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'ping' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'activity' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }).map((count) => ({ kind: 'refuse' as const, count })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'mute' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stop' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'start' as const }) },
);

const configArb = fc.record({
  controlPerSecond: fc.integer({ min: 1, max: 10 }),
  maxStreamsPerMessage: fc.integer({ min: 1, max: 4 }),
  initial: fc.subarray(POOL, { maxLength: 4 }),
  bad: fc.subarray(POOL, { maxLength: 2 }),
  answerDelays: fc.array(fc.constantFrom(0, 5, 40, 200, 900, 5_000), { minLength: 1, maxLength: 6 }),
  openDelayMs: fc.integer({ min: 0, max: 50 }),
  maxAgeMs: fc.constantFrom(0, 20_000),
  handshake: fc.boolean(),
  perStream: fc.boolean(),
  seed: fc.integer(),
});

/** The largest number of messages inside any closed 1000 ms window. */
const busiestSecond = (times: readonly number[]): number => {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! > 1_000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
};

describe('connection + subscriptions model', () => {
  test.prop([configArb, fc.array(opArb, { minLength: 5, maxLength: 60, size: 'max' })], { numRuns: 300 })(
    'keeps rate and socket limits under any command sequence, then converges to the desired set minus rejected streams',
    (config, ops) => {
      const server = new FakeServer({ bad: new Set(config.bad), answerDelays: config.answerDelays, openDelayMs: config.openDelayMs, perStream: config.perStream });
      const h = new ConnectionHarness({
        policy: { maxAgeMs: config.maxAgeMs, handshake: config.handshake, jitter: 0.3, maxAttempts: 0 },
        limits: { controlPerSecond: config.controlPerSecond, maxStreamsPerMessage: config.maxStreamsPerMessage, initial: config.initial, ackTimeoutMs: 4_000 },
        seed: config.seed,
        hooks: server.hooks(),
      });
      server.attach(h);
      const desired = new Set(config.initial);
      let pings = 0;

      h.send({ type: 'connection.start' });
      for (const op of ops) {
        switch (op.kind) {
          case 'add':
            op.streams.forEach((s) => desired.add(s));
            h.child({ type: 'subscriptions.add', streams: op.streams });
            break;
          case 'remove':
            op.streams.forEach((s) => desired.delete(s));
            h.child({ type: 'subscriptions.remove', streams: op.streams });
            break;
          case 'advance':
            h.advance(op.ms);
            break;
          case 'cut':
            server.cut(h.gen);
            break;
          case 'cutDraining':
            if (h.context.draining !== null) server.cut(h.context.draining, 1001);
            break;
          case 'shutdown':
            if (server.socket(h.gen)) h.send({ type: 'server.shutdown', gen: h.gen });
            break;
          case 'rotate':
            h.send({ type: 'connection.rotate' });
            break;
          case 'ping':
            for (const gen of server.openGens()) h.child({ type: 'ping.received', gen, payload: `p${pings++}` });
            break;
          case 'activity':
            if (server.socket(h.gen)) h.send({ type: 'socket.activity', gen: h.gen });
            break;
          case 'refuse':
            server.refuseNext = op.count;
            break;
          case 'mute':
            server.muted.add(h.gen);
            break;
          case 'stop':
            h.send({ type: 'connection.stop' });
            break;
          case 'start':
            h.send({ type: 'connection.start' });
            break;
        }
        expect(h.maxLive).toBeLessThanOrEqual(2);
      }

      // The venue behaves from now on: fast answers, every connect accepted, data flowing (muted sockets stay muted).
      server.answerDelays = [5, 20];
      server.refuseNext = 0;
      const expected = [...desired].filter((s) => !config.bad.includes(s));
      const settled = (): boolean => {
        const subs = h.subs;
        const onServer = server.socket(h.gen)?.subs;
        return (
          h.state === 'open.watching' &&
          h.context.draining === null &&
          subs.gen === h.gen &&
          subs.pending.length === 0 &&
          sameSet(subs.confirmed, expected) &&
          onServer !== undefined &&
          sameSet([...onServer], expected)
        );
      };
      for (let i = 0; i < 240 && !settled(); i++) {
        if (h.state === 'closed') h.send({ type: 'connection.start' });
        if (server.socket(h.gen)) h.send({ type: 'socket.activity', gen: h.gen });
        h.advance(250);
      }
      expect({ state: h.state, draining: h.context.draining, confirmed: [...h.subs.confirmed].sort(), server: [...(server.socket(h.gen)?.subs ?? [])].sort() })
        .toEqual({ state: 'open.watching', draining: null, confirmed: [...expected].sort(), server: [...expected].sort() });
      expect(settled()).toBe(true);
      expect(h.subs.rejected.filter((s) => !config.bad.includes(s))).toEqual([]);
      expect(h.live).toEqual(new Set([h.gen]));

      for (const [gen, socket] of server.sockets) {
        expect(busiestSecond(socket.received), `messages in one second on socket ${gen}`).toBeLessThanOrEqual(config.controlPerSecond);
      }
      h.stop();
    },
  );
});
