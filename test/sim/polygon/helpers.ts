/** Test helpers for the Polygon simulator: simulator lifecycle, authenticated clients, and frames flattened into events. */
import { afterEach } from 'vitest';
import type { PolygonFeed } from '../../../src/providers/polygon/messages.ts';
import { startPolygonSimulator, type PolygonSimulator, type PolygonSimulatorOptions } from '../../../src/sim/polygon/index.ts';
import { TestClient } from '../binance/helpers.ts';

export { TestClient } from '../binance/helpers.ts';

export const KEY = 'sim-polygon-key';

/** A fixed market start (a Monday, 09:30 New York) so that tests do not depend on the day they run. */
export const T0 = Date.UTC(2026, 0, 5, 14, 30);

/** A Polygon event as the tests read it. */
export type Ev = Record<string, any>;

/** Every event received so far, frames flattened in order (non-JSON and non-array frames skipped). */
export const eventsOf = (client: TestClient): Ev[] =>
  client.frames.flatMap((f) => {
    try {
      const x: unknown = JSON.parse(f);
      return Array.isArray(x) ? (x as Ev[]) : [];
    } catch {
      return [];
    }
  });

/** Waits until an event matching `pred` has arrived, and returns it. */
export const waitEvent = async (client: TestClient, pred: (e: Ev) => boolean, timeoutMs = 2_000): Promise<Ev> => {
  await client.until(() => eventsOf(client).some(pred), 'a matching event', timeoutMs);
  return eventsOf(client).find(pred)!;
};

let barriers = 0;

/**
 * Resolves once the simulator has answered a request sent now: the server queues every event in order, so each
 * event it queued for this client before the request has arrived too (a window proven over, without a sleep).
 */
export const barrier = async (client: TestClient): Promise<void> => {
  const param = `AM.BARRIER${++barriers}`;
  client.send({ action: 'unsubscribe', params: param });
  await waitEvent(client, (e) => e.message === `unsubscribed to: ${param}`);
};

/** Status events received so far, as `status: message`. */
export const statuses = (client: TestClient): string[] => eventsOf(client).filter((e) => e.ev === 'status').map((e) => `${e.status}: ${e.message}`);

/** Starts simulators (paused by default) and closes them and their clients after each test. */
export const usePolygonSims = () => {
  const sims: PolygonSimulator[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });
  const connect = async (sim: PolygonSimulator, feed: PolygonFeed | string = 'stocks'): Promise<TestClient> => {
    const client = await TestClient.connect(`${sim.wsUrl}/${feed}`);
    clients.push(client);
    return client;
  };
  return {
    start: async (options: Partial<PolygonSimulatorOptions> = {}): Promise<PolygonSimulator> => {
      const sim = await startPolygonSimulator({ paused: true, startTime: T0, ...options });
      sims.push(sim);
      return sim;
    },
    connect,
    /** Connects and authenticates; resolves once `auth_success` arrived. */
    authed: async (sim: PolygonSimulator, feed: PolygonFeed = 'stocks', key = KEY): Promise<TestClient> => {
      const client = await connect(sim, feed);
      client.send({ action: 'auth', params: key });
      await waitEvent(client, (e) => e.status === 'auth_success');
      return client;
    },
  };
};
