/** The session's child actors, each hosted by a small parent: commands become calls, outcomes become events. */
import { describe, expect, it } from 'vitest';
import { assign, createActor, sendTo, setup, type AnyActorLogic } from 'xstate';
import type { SessionEvent, SessionFailure } from '../../machines/session.machine.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { realtimeError, type RealtimeError } from '../../src/errors.ts';
import { registerSecret } from '../../src/secrets.ts';
import { failureOf, sessionChildren, type ChildOps } from '../../src/session/children.ts';
import { eventWaits } from '../support/event-waits.ts';

const bar: Bar = {
  provider: 'binance', symbol: 'BTCUSDT', interval: '1m', openTime: 0, closeTime: 59_999,
  open: 1, high: 1, low: 1, close: 1, volume: 1, vwap: null, tradeCount: 1, final: true, receivedAt: 0,
};

/** Hosts `logic` as child 'c'; `command` forwards to it, `events` records what it sends back. */
const host = (logic: AnyActorLogic) => {
  const waits = eventWaits();
  const events: SessionEvent[] = [];
  const parent = setup({ types: { context: {} as { n: number } }, actors: { c: logic } }).createMachine({
    context: { n: 0 },
    invoke: { id: 'c', src: 'c' },
    on: {
      command: { actions: sendTo('c', ({ event }) => (event as unknown as { cmd: unknown }).cmd as never) },
      '*': { actions: [({ event }) => { events.push(event as SessionEvent); waits.poke(); }, assign({ n: ({ context }) => context.n + 1 })] },
    },
  });
  const actor = createActor(parent).start();
  const command = (cmd: Record<string, unknown>) => actor.send({ type: 'command', cmd } as never);
  const until = (type: string) => waits.until(() => events.some((e) => e.type === type), type);
  return { actor, events, command, until };
};

const ops = (overrides: Partial<{ [K in keyof ChildOps]: Partial<ChildOps[K]> }> = {}): ChildOps => ({
  marketData: { start: async () => {}, stop: async () => {}, listen: () => () => {}, ...overrides.marketData },
  writer: { open: async () => {}, write: () => {}, close: async () => {}, ...overrides.writer },
  strategy: { load: async () => {}, bar: () => {}, stop: async () => {}, onHalt: () => {}, ...overrides.strategy },
  trading: { connect: async () => {}, bar: () => {}, disconnect: async () => {}, ...overrides.trading },
});

describe('session children', () => {
  it('reports market data started and stopped, forwards closed bars and fatal errors, and stops listening with the actor', async () => {
    let onBar!: (b: Bar) => void;
    let onFatal!: (e: RealtimeError) => void;
    let unlistened = 0;
    const h = host(sessionChildren(ops({ marketData: { listen: (b, f) => { onBar = b; onFatal = f; return () => { unlistened++; }; } } })).marketData);
    h.command({ type: 'marketData.start' });
    await h.until('marketData.started');
    onBar(bar);
    onFatal(realtimeError('AUTHENTICATION_FAILED', 'bad key'));
    h.command({ type: 'marketData.stop' });
    await h.until('marketData.stopped');
    expect(h.events).toEqual([
      { type: 'marketData.started' },
      { type: 'bar.closed', bar },
      { type: 'marketData.failed', failure: { source: 'marketData', code: 'AUTHENTICATION_FAILED', message: 'bad key' } },
      { type: 'marketData.stopped' },
    ]);
    h.actor.stop();
    expect(unlistened).toBe(1);
  });

  it('turns a failed start into marketData.failed with the error code', async () => {
    const h = host(sessionChildren(ops({ marketData: { start: async () => { throw realtimeError('CONNECTION_FAILED', 'refused'); } } })).marketData);
    h.command({ type: 'marketData.start' });
    await h.until('marketData.failed');
    expect(h.events).toEqual([{ type: 'marketData.failed', failure: { source: 'marketData', code: 'CONNECTION_FAILED', message: 'refused' } }]);
  });

  it('writes bars, reports a write that throws and a fatal storage loss as writer.failed', async () => {
    const written: Bar[] = [];
    let fatal!: (e: RealtimeError) => void;
    let throwNext = false;
    const h = host(sessionChildren(ops({
      writer: {
        write: (b) => { if (throwNext) throw new Error('disk full'); written.push(b); },
        onFatal: (fn) => { fatal = fn; },
      },
    })).writer);
    h.command({ type: 'writer.open' });
    await h.until('writer.opened');
    h.command({ type: 'writer.write', bar });
    throwNext = true;
    h.command({ type: 'writer.write', bar });
    fatal(realtimeError('STORAGE_LOST', 'file replaced'));
    h.command({ type: 'writer.close' });
    await h.until('writer.closed');
    expect(written).toEqual([bar]);
    expect(h.events.map((e) => (e.type === 'writer.failed' ? [e.type, e.failure.code, e.failure.message] : [e.type]))).toEqual([
      ['writer.opened'], ['writer.failed', 'WRITE_FAILED', 'disk full'], ['writer.failed', 'STORAGE_LOST', 'file replaced'], ['writer.closed'],
    ]);
  });

  it('loads, feeds and stops the strategy, and reports a halt', async () => {
    const fed: Bar[] = [];
    let halt!: (f: SessionFailure) => void;
    const h = host(sessionChildren(ops({ strategy: { bar: (b) => fed.push(b), onHalt: (fn) => { halt = fn; } } })).strategy);
    h.command({ type: 'strategy.load' });
    await h.until('strategy.loaded');
    h.command({ type: 'strategy.bar', bar });
    halt({ source: 'strategy', code: 'STRATEGY_FAILED', message: 'threw' });
    h.command({ type: 'strategy.stop' });
    await h.until('strategy.stopped');
    expect(fed).toEqual([bar]);
    expect(h.events).toEqual([
      { type: 'strategy.loaded' },
      { type: 'strategy.halted', failure: { source: 'strategy', code: 'STRATEGY_FAILED', message: 'threw' } },
      { type: 'strategy.stopped' },
    ]);
  });

  it('connects trading, hands it bars, and reports a failed disconnect', async () => {
    const fed: Bar[] = [];
    const h = host(sessionChildren(ops({ trading: { bar: (b) => fed.push(b), disconnect: async () => { throw new Error('socket gone'); } } })).trading);
    h.command({ type: 'trading.connect' });
    await h.until('trading.connected');
    h.command({ type: 'trading.bar', bar });
    h.command({ type: 'trading.disconnect' });
    await h.until('trading.failed');
    expect(fed).toEqual([bar]);
    expect(h.events).toEqual([{ type: 'trading.connected' }, { type: 'trading.failed', failure: { source: 'trading', code: 'CONNECTION_FAILED', message: 'socket gone' } }]);
  });
});

describe('failureOf', () => {
  it('keeps a realtime error code, names config errors, defaults per source, and redacts the message', () => {
    registerSecret('sk_children_8d1e');
    expect(failureOf('writer', new Error('boom'))).toEqual({ source: 'writer', code: 'WRITE_FAILED', message: 'boom' });
    expect(failureOf('strategy', 'plain text')).toEqual({ source: 'strategy', code: 'STRATEGY_FAILED', message: 'plain text' });
    expect(failureOf('strategy', Object.assign(new Error('bad field'), { stage: 'config' }))).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(failureOf('trading', realtimeError('RATE_LIMITED', 'slow down'))).toMatchObject({ code: 'RATE_LIMITED' });
    expect(failureOf('marketData', new Error('key sk_children_8d1e refused')).message).toBe('key *** refused');
  });
});
