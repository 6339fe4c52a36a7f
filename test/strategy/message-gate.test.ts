/**
 * The host's check of strategy worker messages: malformed or forged shapes are dropped, oversized calls and
 * calls over the in-flight cap or the per-second rate are refused with a code, and log text is made safe for
 * a terminal (one line, bounded, secrets redacted).
 */
import { describe, expect, it } from 'vitest';
import { registerSecret } from '../../src/secrets.ts';
import { MessageGate, messageProblem, safeLogLevel, safeLogText } from '../../src/strategy/message-gate.ts';

describe('message shapes', () => {
  it.each([
    ['a string', 'bar.done'],
    ['null', null],
    ['an unknown kind', { kind: 'reply', id: 1, ok: true, value: 1 }],
    ['bar.done without a sequence number', { kind: 'bar.done' }],
    ['bar.done with a fractional sequence number', { kind: 'bar.done', seq: 1.5 }],
    ['a request for a host method that does not exist', { kind: 'request', id: 1, method: 'constructor', args: [] }],
    ['a request whose args are not an array', { kind: 'request', id: 1, method: 'placeOrder', args: { symbol: 'X' } }],
    ['a notify for an unknown method', { kind: 'notify', method: 'exit', args: [] }],
    ['a failure without an error', { kind: 'bar.failed', seq: 1, error: 'boom' }],
    ['a dropped report without a count', { kind: 'dropped', method: 'log', message: 'x' }],
    ['a fatal with an unknown reason', { kind: 'fatal', reason: 'bored', error: { name: 'X', message: 'y' } }],
  ])('drops %s', (_label, message) => {
    const gate = new MessageGate();
    expect(messageProblem(message)).toBeDefined();
    expect(gate.accept(message)).toBeUndefined();
    expect(gate.dropped).toBe(1);
  });

  it('accepts the messages the workers send', () => {
    const gate = new MessageGate();
    for (const m of [
      { kind: 'ready', name: 's', config: {} },
      { kind: 'bar.done', seq: 3 },
      { kind: 'request', id: 7, method: 'placeOrder', args: [{ symbol: 'BTCUSDT' }] },
      { kind: 'notify', method: 'log', args: ['info', 'hi'] },
      { kind: 'dropped', method: 'log', count: 12, message: 'log: more than 200 log and mark calls per second' },
      { kind: 'fatal', reason: 'oom', error: { name: 'InternalError', message: 'out of memory' } },
    ]) expect(gate.accept(m)).toBe(m);
    expect(gate.dropped).toBe(0);
  });
});

describe('limits', () => {
  it('refuses a call whose arguments are larger than maxArgsChars', () => {
    const gate = new MessageGate({ maxArgsChars: 100 });
    expect(gate.admit('log', ['info', 'x'.repeat(200)], false)).toMatchObject({ code: 'INVALID_MESSAGE' });
    expect(gate.admit('log', ['info', 'short'], false)).toBeUndefined();
  });

  it('refuses awaited calls past maxInFlight until one is released', () => {
    const gate = new MessageGate({ maxInFlight: 2 });
    expect(gate.admit('placeOrder', [], true)).toBeUndefined();
    expect(gate.admit('placeOrder', [], true)).toBeUndefined();
    expect(gate.admit('placeOrder', [], true)).toMatchObject({ code: 'RATE_LIMITED' });
    gate.release();
    expect(gate.admit('placeOrder', [], true)).toBeUndefined();
    expect(gate.refused).toBe(1);
  });

  it('refuses calls over the per-second rate and admits them again as time passes', () => {
    let now = 0;
    const gate = new MessageGate({ callsPerSecond: 10, burst: 3 }, () => now);
    const results = Array.from({ length: 5 }, () => gate.admit('mark', [], false));
    expect(results.map((r) => r?.code ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
    now = 100;
    expect(gate.admit('mark', [], false)).toBeUndefined();
    expect(gate.admit('mark', [], false)).toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('log and mark budgets', () => {
  it('refuses log and mark calls over their own rate, before measuring their arguments', () => {
    let now = 0;
    const gate = new MessageGate({ notifyPerSecond: 2, notifyBurst: 2, maxArgsChars: 20 }, () => now);
    expect(gate.admit('log', ['info', 'a'], false)).toBeUndefined();
    expect(gate.admit('mark', ['m'], false)).toBeUndefined();
    // Over the count the answer is the rate, not the size: the oversized arguments were never serialised.
    expect(gate.admit('log', ['info', 'x'.repeat(1_000)], false)).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('log and mark calls per second') });
    // Awaited calls have their own budget.
    expect(gate.admit('placeOrder', [], true)).toBeUndefined();
    now += 500;
    expect(gate.admit('log', ['info', 'b'], false)).toBeUndefined();
  });

  it('refuses log and mark calls over the characters per second, and admits them again as time passes', () => {
    let now = 0;
    const gate = new MessageGate({ notifyCharsPerSecond: 100, notifyBurstChars: 100 }, () => now);
    expect(gate.admit('log', ['info', 'x'.repeat(80)], false)).toBeUndefined();
    expect(gate.admit('log', ['info', 'x'.repeat(80)], false)).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('characters of log and mark per second') });
    now += 1_000;
    expect(gate.admit('log', ['info', 'x'.repeat(80)], false)).toBeUndefined();
  });
});

describe('log text', () => {
  it('escapes newlines, carriage returns and escape sequences so one call prints one line', () => {
    expect(safeLogText('ok\nfill BUY 1000 BTCUSDT\r\u001b[31msession stopped')).toBe('ok\\nfill BUY 1000 BTCUSDT\\r\\u001b[31msession stopped');
  });

  it('cuts text longer than the limit and says how much was cut', () => {
    expect(safeLogText('abcdefghij', 4)).toBe('abcd… (6 more characters)');
  });

  it('redacts registered secrets', () => {
    registerSecret('GATESECRETp0o9i8u7');
    expect(safeLogText('key=GATESECRETp0o9i8u7')).toBe('key=***');
  });

  it('turns an unknown level into info', () => {
    expect(safeLogLevel('error')).toBe('error');
    expect(safeLogLevel('\nfill')).toBe('info');
  });
});
