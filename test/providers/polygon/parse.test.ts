import { describe, expect, it } from 'vitest';
import frames from '../../fixtures/polygon/ws_frames.json' with { type: 'json' };
import rest from '../../fixtures/polygon/rest_aggs.json' with { type: 'json' };
import { aggRowToBar, parsePolygonFrame } from '../../../src/providers/polygon/parse.ts';
import { parseSubscriptionAnswer, polygonAuthMessage, polygonControlMessage } from '../../../src/providers/polygon/subscriptions.ts';

const frame = (...events: unknown[]) => JSON.stringify(events);

describe('parsePolygonFrame', () => {
  it('decodes the documented AM event into a closed minute bar with VWAP and no trade count', () => {
    const [m] = parsePolygonFrame(frame(frames.AM), 7);
    expect(m).toEqual({
      kind: 'bar', event: 'AM', stream: 'AM.AAPL',
      bar: {
        provider: 'polygon', symbol: 'AAPL', interval: '1m', openTime: 1610144640000, closeTime: 1610144699999,
        open: 150.1, high: 151, low: 149.9, close: 150.8, volume: 4110, vwap: 150.5, tradeCount: null, final: true, receivedAt: 7,
      },
    });
  });

  it('decodes A as a second bar, XA by pair, and CA without end time or VWAP', () => {
    const a = { ...frames.AM, ev: 'A', s: 1610144641000, e: 1610144642000 };
    const [sec, xa, ca] = parsePolygonFrame(frame(a, frames.XA, frames.CA), 0);
    expect(sec).toMatchObject({ kind: 'bar', stream: 'A.AAPL', bar: { interval: '1s', openTime: 1610144641000, closeTime: 1610144641999 } });
    expect(xa).toMatchObject({ kind: 'bar', stream: 'XA.BTC-USD', bar: { symbol: 'BTC-USD', interval: '1m', volume: 951.61, vwap: 0.7756 } });
    expect(ca).toMatchObject({ kind: 'bar', stream: 'CA.USD/EUR', bar: { symbol: 'USD/EUR', closeTime: 1539145799999, close: 0.86889, volume: 20, vwap: null } });
  });

  it('reads every status and keeps status and data of one frame in order', () => {
    const mixed = parsePolygonFrame(frame(frames.subscribed[0], frames.AM, frames.maxConnections[0], frames.T), 0);
    expect(mixed.map((m) => m.kind)).toEqual(['status', 'bar', 'status', 'other']);
    expect(mixed[2]).toEqual({ kind: 'status', status: 'max_connections', message: 'Maximum number of connections exceeded.' });
    for (const f of [frames.connected, frames.authSuccess, frames.authFailed, frames.authTimeout, frames.unsubscribed]) {
      expect(parsePolygonFrame(JSON.stringify(f), 0)).toEqual([{ kind: 'status', status: f[0]!.status, message: f[0]!.message }]);
    }
  });

  it('decodes an index bar without volume fields', () => {
    const { v: _v, vw: _vw, av: _av, z: _z, ...index } = { ...frames.AM, sym: 'I:SPX' };
    const [m] = parsePolygonFrame(frame(index), 0);
    expect(m).toMatchObject({ kind: 'bar', bar: { symbol: 'I:SPX', volume: 0, vwap: null } });
  });

  it('keeps the good elements of a frame beside a bad one', () => {
    const out = parsePolygonFrame(frame({ ...frames.AM, o: null }, frames.XA), 0);
    expect(out.map((m) => m.kind)).toEqual(['malformed', 'bar']);
  });

  it.each([
    ['truncated JSON', frame(frames.AM).slice(0, 30)],
    ['non-JSON text', '<html>502</html>'],
    ['an object instead of an array', JSON.stringify(frames.AM)],
    ['a null price', frame({ ...frames.AM, c: null })],
    ['a missing symbol', frame({ ...frames.AM, sym: undefined })],
    ['an unaligned window start', frame({ ...frames.AM, s: 1610144640500, e: undefined })],
    ['a window end that does not match', frame({ ...frames.AM, e: 1610144640000 + 5_000 })],
    ['high below low', frame({ ...frames.XA, h: 0.5, l: 0.9 })],
    ['a string volume', frame({ ...frames.AM, v: '4110' })],
    ['negative volume', frame({ ...frames.CA, v: -1 })],
    ['a status without status', frame({ ev: 'status', message: 'x' })],
    ['an element that is not an object', frame(42)],
    ['an unknown event type', frame({ ev: 7 })],
  ])('classifies %s as malformed without throwing', (_name, text) => {
    expect(parsePolygonFrame(text, 0).every((m) => m.kind === 'malformed')).toBe(true);
  });
});

describe('aggRowToBar', () => {
  it('turns a REST result row into a closed, backfilled bar with its trade count', () => {
    const row = rest.response.results[0];
    expect(aggRowToBar(row, 'AAPL', '1m', 3)).toEqual({
      provider: 'polygon', symbol: 'AAPL', interval: '1m', openTime: 1610144640000, closeTime: 1610144699999,
      open: 150.1, high: 151, low: 149.9, close: 150.8, volume: 4110, vwap: 150.5, tradeCount: 6, final: true, receivedAt: 3, backfilled: true,
    });
  });

  it('rejects a row whose time is not a window start, or whose count is not a number', () => {
    expect(typeof aggRowToBar({ ...rest.response.results[0], t: 1610144640001 }, 'AAPL', '1m', 0)).toBe('string');
    expect(typeof aggRowToBar({ ...rest.response.results[0], n: 'six' }, 'AAPL', '1m', 0)).toBe('string');
    expect(typeof aggRowToBar(null, 'AAPL', '1m', 0)).toBe('string');
  });
});

describe('client messages', () => {
  it('joins subscription parameters with commas and reads one answer per parameter', () => {
    expect(polygonControlMessage({ id: 1, op: 'subscribe', streams: ['AM.AAPL', 'AM.MSFT'], acked: [] })).toEqual({ action: 'subscribe', params: 'AM.AAPL,AM.MSFT' });
    expect(polygonControlMessage({ id: 2, op: 'unsubscribe', streams: ['XA.BTC-USD'], acked: [] })).toEqual({ action: 'unsubscribe', params: 'XA.BTC-USD' });
    expect(polygonAuthMessage('k')).toEqual({ action: 'auth', params: 'k' });
    expect(parseSubscriptionAnswer(frames.subscribed[0]!.message)).toEqual({ op: 'subscribe', stream: 'AM.AAPL' });
    expect(parseSubscriptionAnswer('unsubscribed to: CA.USD/EUR')).toEqual({ op: 'unsubscribe', stream: 'CA.USD/EUR' });
    expect(parseSubscriptionAnswer('authenticated')).toBeUndefined();
  });
});
