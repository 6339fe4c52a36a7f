/** Recorded and documented Massive payloads (test/fixtures/massive, each with its `_source`) through the decoders. */
import { describe, expect, it } from 'vitest';
import aggs from '../../fixtures/massive/ws_aggregates.json' with { type: 'json' };
import statuses from '../../fixtures/massive/ws_statuses.json' with { type: 'json' };
import rest from '../../fixtures/massive/rest_aggs.json' with { type: 'json' };
import { aggRowToBar, aggRowValues, parsePolygonFrame } from '../../../src/providers/polygon/parse.ts';
import { classifyPolygonStatus } from '../../../src/providers/polygon/status.ts';
import { newYorkDayStart } from '../../../src/sim/polygon/calendar.ts';

const decode = (event: unknown) => parsePolygonFrame(JSON.stringify([event]), 5)[0]!;

describe('the Massive spec\'s aggregate examples', () => {
  it('records a source for every fixture', () => {
    for (const file of [aggs, statuses, rest]) {
      expect(file._source).toMatch(/\S/);
      for (const [key, entry] of Object.entries(file)) if (key !== '_source') expect((entry as { _source: string })._source, key).toMatch(/massive-com|github\.com/);
    }
  });

  it.each([
    ['stocks_A', 'A.SPCE', '1s', 1610144868000, 200, 25.3981],
    ['stocks_AM', 'AM.GTE', '1m', 1610144640000, 4110, 0.4488],
    // The spec's /options/A example is a minute event (ev AM), decoded as what it says it is.
    ['options_A', 'AM.O:ONEM220121C00025000', '1m', 1632419640000, 2, 2.05],
    ['options_AM', 'AM.O:ONEM220121C00025000', '1m', 1632419640000, 2, 2.05],
    ['crypto_XA', 'XA.BCD-USD', '1m', 1610463240000, 951.6112, 0.7756],
    ['forex_CA', 'CA.USD/EUR', '1m', 1539145740000, 20, null],
    ['forex_CAS', 'CAS.USD/EUR', '1s', 1539145740000, 20, null],
  ] as const)('decodes %s as a closed %s bar of its window', (name, stream, interval, openTime, volume, vwap) => {
    const m = decode(aggs[name].event);
    expect(m).toMatchObject({ kind: 'bar', stream, bar: { interval, openTime, volume, vwap, tradeCount: null, final: true, provider: 'polygon' } });
    if (m.kind === 'bar') expect(m.bar.closeTime).toBe(openTime + (interval === '1s' ? 1_000 : 60_000) - 1);
  });

  it('decodes the index A and AM examples (s == e, not aligned) into the window that contains the instant, without volume', () => {
    const instant = aggs.indices_AM.event.s;
    expect(instant % 1_000).not.toBe(0);
    expect(decode(aggs.indices_AM.event)).toMatchObject({
      kind: 'bar', stream: 'AM.I:SPX',
      bar: { interval: '1m', openTime: instant - (instant % 60_000), open: 3985.67, close: 3985.67, volume: 0, vwap: null, tradeCount: null },
    });
    expect(decode(aggs.indices_A.event)).toMatchObject({ kind: 'bar', stream: 'A.I:SPX', bar: { interval: '1s', openTime: instant - (instant % 1_000) } });
  });

  it('refuses the spec\'s XAS example, a 60 s window copied from XA, rather than store a minute as a second', () => {
    expect(aggs.crypto_XAS.event.e - aggs.crypto_XAS.event.s).toBe(60_000);
    expect(decode(aggs.crypto_XAS.event)).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/XAS BCD-USD: window .* neither one 1s window/) });
    expect(decode({ ...aggs.crypto_XAS.event, e: aggs.crypto_XAS.event.s + 1_000 })).toMatchObject({ kind: 'bar', stream: 'XAS.BCD-USD', bar: { interval: '1s', volume: 951.6112 } });
  });
});

describe('status frames', () => {
  const meaning = (name: keyof typeof statuses) => {
    const frame = (statuses[name] as { frame: { status: string; message: string }[] }).frame;
    return frame.map((e) => {
      const [m] = parsePolygonFrame(JSON.stringify([e]), 0);
      return m!.kind === 'status' ? classifyPolygonStatus(m!.status, m!.message) : m;
    });
  };

  it('reads the spec\'s connect event (success / Connected Successfully) and the servers\' connected as the connect event', () => {
    expect(meaning('connect_spec')).toEqual([{ kind: 'connected' }]);
    expect(meaning('connect_mock')).toEqual([{ kind: 'connected' }]);
    expect(meaning('legacy_connect_live')).toEqual([{ kind: 'connected' }]);
  });

  it('reads auth_success, and the older success / authenticated, as an accepted key', () => {
    expect(meaning('auth_spec')).toEqual([{ kind: 'authenticated' }]);
    expect(meaning('auth_mock')).toEqual([{ kind: 'authenticated' }]);
    expect(meaning('legacy_auth_success_live')).toEqual([{ kind: 'authenticated' }, { kind: 'ack', op: 'subscribe', stream: 'C.AUD/USD' }]);
  });

  it('reads the live error / authentication failed as a refused key', () => {
    expect(meaning('legacy_auth_failed_live')).toEqual([{ kind: 'authFailed' }]);
  });

  it('reads subscription answers and the disconnect example', () => {
    expect(meaning('subscribe_spec')).toEqual([{ kind: 'ack', op: 'subscribe', stream: 'T.MSFT' }]);
    expect(meaning('unsubscribe_spec')).toEqual([{ kind: 'ack', op: 'unsubscribe', stream: 'T.MSFT' }]);
    expect(meaning('disconnect_spec')).toEqual([{ kind: 'disconnect', status: 'max_connections' }]);
  });

  it.each([
    ['success', 'Connected Successfully', { kind: 'connected' }],
    ['success', 'authenticated', { kind: 'authenticated' }],
    ['success', 'subscribed to: XAS.BTC-USD', { kind: 'ack', op: 'subscribe', stream: 'XAS.BTC-USD' }],
    ['success', 'something new', { kind: 'unknown' }],
    ['connected', 'Connected Successfully', { kind: 'connected' }],
    ['auth_success', 'authenticated', { kind: 'authenticated' }],
    ['auth_failed', 'authentication failed', { kind: 'authFailed' }],
    ['error', 'authentication failed', { kind: 'authFailed' }],
    ['error', 'subscription not permitted: AM.XYZ', { kind: 'error' }],
    ['auth_required', 'authentication required', { kind: 'authRequired' }],
    ['auth_timeout', 'No authentication request received.', { kind: 'disconnect', status: 'auth_timeout' }],
    ['max_connections', 'Maximum number of connections exceeded.', { kind: 'disconnect', status: 'max_connections' }],
    ['force_disconnect', '', { kind: 'disconnect', status: 'force_disconnect' }],
    ['slow_consumer', '', { kind: 'disconnect', status: 'slow_consumer' }],
    ['rebalancing', 'x', { kind: 'unknown' }],
  ])('reads status %s with message %j', (status, message, expected) => {
    expect(classifyPolygonStatus(status, message)).toEqual(expected);
  });
});

describe('the Massive spec\'s REST aggregate examples', () => {
  const rows = (market: 'stocks' | 'options' | 'indices' | 'forex' | 'crypto') => (rest[market].response.results as unknown[]).map((r) => aggRowValues(r));

  it('reads every market\'s rows; index rows have no volume, VWAP or trade count', () => {
    for (const market of ['stocks', 'options', 'forex', 'crypto'] as const) {
      for (const r of rows(market)) expect(r, market).toMatchObject({ v: expect.any(Number), vw: expect.any(Number), n: expect.any(Number) });
    }
    expect(rows('indices')).toEqual([
      { t: 1678341600000, o: 12230.83658266843, h: 12340.44936267155, l: 11970.34221717375, c: 11995.88235998666, v: null, vw: null, n: null },
      { t: 1678428000000, o: 12001.69552583921, h: 12069.62262033557, l: 11789.85923449393, c: 11830.28178808306, v: null, vw: null, n: null },
    ]);
  });

  it('keeps the trade count of an index row null when it becomes a bar', () => {
    // 06:00 UTC is also a minute start, so the row reads as a minute row too.
    expect(aggRowToBar(rest.indices.response.results[0], 'I:NDX', '1m', 1)).toMatchObject({ symbol: 'I:NDX', volume: 0, vwap: null, tradeCount: null, backfilled: true });
  });

  it('opens stock and option day bars at New York midnight, as the simulator does', () => {
    for (const market of ['stocks', 'options'] as const) {
      for (const r of rows(market)) {
        const t = (r as { t: number }).t;
        expect(newYorkDayStart(t + 12 * 3_600_000), market).toBe(t);
      }
    }
    expect(rows('stocks').map((r) => new Date((r as { t: number }).t).toISOString())).toEqual(['2020-01-02T05:00:00.000Z', '2020-01-03T05:00:00.000Z']);
    expect(rows('options').map((r) => new Date((r as { t: number }).t).toISOString())).toEqual(['2021-09-23T04:00:00.000Z', '2021-09-24T04:00:00.000Z']);
  });
});
