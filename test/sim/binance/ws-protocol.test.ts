import { describe, expect, it } from 'vitest';
import { useSimulators } from './helpers.ts';

const sims = useSimulators();

describe('market-stream control protocol', () => {
  it('answers SUBSCRIBE with result null and the same id', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    const { reply } = await client.request({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m', 'ethusdt@kline_5m'], id: 7 });
    expect(reply).toEqual({ result: null, id: 7 });
    expect(sim.connections()[0]!.streams).toEqual(['btcusdt@kline_1m', 'ethusdt@kline_5m']);
  });

  it('lists subscriptions in subscription order and removes them on UNSUBSCRIBE', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    await client.request({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m', 'ethusdt@kline_1m'], id: 1 });
    expect((await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 2 })).reply).toEqual({
      result: ['btcusdt@kline_1m', 'ethusdt@kline_1m'], id: 2,
    });
    expect((await client.request({ method: 'UNSUBSCRIBE', params: ['btcusdt@kline_1m'], id: 3 })).reply).toEqual({ result: null, id: 3 });
    expect((await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 4 })).reply).toEqual({ result: ['ethusdt@kline_1m'], id: 4 });
  });

  it('rejects a bad stream name with a nested code 2 error and subscribes nothing', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    for (const [id, bad] of [[1, 'btcusdt@kline_7m'], [2, 'BTCUSDT@kline_1m'], [3, 'btcusdt@depth']] as const) {
      const { reply } = await client.request({ method: 'SUBSCRIBE', params: ['ethusdt@kline_1m', bad], id });
      expect(reply).toEqual({ error: { code: 2, msg: 'Invalid request: invalid stream' }, id });
    }
    expect(sim.connections()[0]!.streams).toEqual([]);
  });

  it('sends the documented flat error form when flatErrors is set', async () => {
    const sim = await sims.start({ flatErrors: true });
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    const { reply } = await client.request({ method: 'SUBSCRIBE', params: ['nope'], id: 9 });
    expect(reply).toEqual({ code: 2, msg: 'Invalid request: invalid stream', id: 9 });
  });

  it('answers invalid JSON with code 3 and a null id', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    client.send('{"method":"SUBSCRIBE",');
    expect(await client.next()).toEqual({ error: { code: 3, msg: expect.stringContaining('Invalid JSON') }, id: null });
  });

  it('answers an unknown method with code 2', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    const { reply } = await client.request({ method: 'SUBSCRIBE_ALL', id: 5 });
    expect(reply).toMatchObject({ error: { code: 2 }, id: 5 });
  });

  it('acknowledges a stream of an unknown symbol and then stays silent', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    expect((await client.request({ method: 'SUBSCRIBE', params: ['zzzusdt@kline_1m'], id: 1 })).reply).toEqual({ result: null, id: 1 });
    sim.advance(40);
    const { before, reply } = await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
    expect(before).toEqual([]);
    expect(reply).toEqual({ result: ['zzzusdt@kline_1m'], id: 2 });
  });

  it('streams pre-subscribed raw frames on /ws/<stream>', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_1m`);
    sim.advance();
    const frame = await client.next();
    expect(frame).toMatchObject({ e: 'kline', E: sim.now(), s: 'BTCUSDT', k: { s: 'BTCUSDT', i: '1m', x: false } });
  });

  it('wraps frames on /stream and accepts SUBSCRIBE there too', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/stream?streams=btcusdt@kline_1m/ethusdt@kline_1m`);
    await client.request({ method: 'SUBSCRIBE', params: ['solusdt@kline_1s'], id: 1 });
    sim.advance();
    const frames = await client.take(4);
    expect(frames.map((f) => f.stream)).toEqual(['btcusdt@kline_1m', 'ethusdt@kline_1m', 'solusdt@kline_1s', 'solusdt@kline_1s']);
    expect(frames[0]).toMatchObject({ data: { e: 'kline', s: 'BTCUSDT', k: { i: '1m' } } });
  });

  it('refuses unknown paths with 404 and accepts, without subscribing, names in the URL it does not stream', async () => {
    const sim = await sims.start();
    await expect(sims.connect(`${sim.wsUrl}/nope`)).rejects.toThrow(/404/);
    const raw = await sims.connect(`${sim.wsUrl}/ws/btcusdt@kline_2s`);
    const combined = await sims.connect(`${sim.wsUrl}/stream?streams=btcusdt@trade`);
    expect((await raw.request({ method: 'LIST_SUBSCRIPTIONS', id: 1 })).reply).toEqual({ result: [], id: 1 });
    expect((await combined.request({ method: 'LIST_SUBSCRIPTIONS', id: 2 })).reply).toEqual({ result: [], id: 2 });
  });

  it('emits connection, subscribe and close events and reports connections', async () => {
    const sim = await sims.start();
    const events: string[] = [];
    sim.on('connection', (c) => events.push(`connection ${c.id} ${c.path}`));
    sim.on('subscribe', (s) => events.push(`subscribe ${s.connectionId} ${s.streams.join(',')}`));
    sim.on('unsubscribe', (s) => events.push(`unsubscribe ${s.connectionId} ${s.streams.join(',')}`));
    const closed = new Promise((resolve) => sim.on('close', resolve));
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    await client.request({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m'], id: 1 });
    await client.request({ method: 'UNSUBSCRIBE', params: ['btcusdt@kline_1m'], id: 2 });
    client.ws.close(1000);
    expect(await closed).toEqual({ connectionId: 1, code: 1000, reason: '' });
    expect(events).toEqual(['connection 1 /ws', 'subscribe 1 btcusdt@kline_1m', 'unsubscribe 1 btcusdt@kline_1m']);
    expect(sim.connections()[0]).toMatchObject({ id: 1, closed: true, closeCode: 1000, messagesReceived: 2 });
    expect(sim.stats()).toMatchObject({ connectionsOpened: 1, connectionsClosed: 1, controlRepliesSent: 2 });
  });
});

describe('held control answers (fault)', () => {
  it('holds SUBSCRIBE answers until released, then sends them in order, while the streams flow meanwhile', async () => {
    const sim = await sims.start();
    const client = await sims.connect(`${sim.wsUrl}/ws`);
    sim.holdControlReplies();
    const subscribed: string[][] = [];
    const both = new Promise<void>((resolve) => sim.on('subscribe', (s) => {
      subscribed.push([...s.streams]);
      if (subscribed.length === 2) resolve();
    }));
    client.send({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m'], id: 1 });
    client.send({ method: 'SUBSCRIBE', params: ['ethusdt@kline_1m'], id: 2 });
    await both;
    // The subscriptions took effect; their answers did not go out.
    sim.advance(1);
    const data = await client.next<{ e?: string; id?: number }>();
    expect(data.e).toBe('kline');
    expect(client.unread().map((f) => JSON.parse(f) as { id?: number }).filter((f) => f.id !== undefined)).toEqual([]);
    sim.releaseControlReplies();
    const replies: unknown[] = [];
    while (replies.length < 2) {
      const frame = await client.next<{ id?: number }>();
      if (frame.id !== undefined) replies.push(frame);
    }
    expect(replies).toEqual([{ result: null, id: 1 }, { result: null, id: 2 }]);
    // Answered at once again.
    expect((await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 3 })).reply).toEqual({ result: ['btcusdt@kline_1m', 'ethusdt@kline_1m'], id: 3 });
  });
});
