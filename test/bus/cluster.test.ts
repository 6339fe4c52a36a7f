/**
 * A recorder on a three-node JetStream cluster on loopback (stream with three replicas): the node leading the
 * stream is SIGKILLed mid-run; the stream, led by another node, ends with every closed bar once, exact values.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterEach, describe, expect, it } from 'vitest';
import { BusRecorderProvider } from '../../src/bus/recorder-provider.ts';
import { sessionProvider } from '../../src/bus/session-provider.ts';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import { createRealtimeProvider } from '../../src/providers/registry.ts';
import { createRealtimeSession } from '../../src/session/index.ts';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import { readStream, streamProblems, until, waitForJetStream } from '../support/bus-helpers.ts';
import { startNatsCluster } from '../support/nats-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];

describe('bus on a 3-node cluster', () => {
  it('loses no bar when the stream leader is killed mid-run', async () => {
    const nodes = await startNatsCluster(3);
    for (const n of nodes) cleanups.push(() => n.stop());
    await waitForJetStream(nodes[0]!);
    const urls = nodes.map((n) => n.url).join(',');
    const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000, symbols: SYMBOLS });
    cleanups.push(() => sim.close());
    const config = decodeSessionConfig({
      session: {
        id: 'rec-c', realtime_provider: 'binance-realtime', symbols: SYMBOLS, interval: '1m',
        realtime_provider_config: { ws_url: sim.wsUrl, rest_url: sim.restUrl },
        storage_config: { output_path: join(mkdtempSync(join(tmpdir(), 'argo-cluster-')), 'rec.duckdb'), flush_interval_ms: 200 },
      },
      bus: { url: urls, stream: 'BARS', replicas: 3, publish_timeout_ms: 1_000 },
    });
    const provider = sessionProvider(config, 'rec-c', () => createRealtimeProvider(config.realtimeProvider, config.realtimeProviderConfig)) as BusRecorderProvider;
    const session = createRealtimeSession(config, { provider });
    let stopped = false;
    cleanups.push(async () => { if (!stopped) await session.stop(); });
    let bars = 0;
    session.on('bar', () => bars++);
    await session.start();
    const wake = (w: () => void) => { const offs = [session.on('bar', w), provider.bus!.onChange(w)]; return () => offs.forEach((o) => o()); };
    const published = () => provider.bus!.stats().published;
    await until(() => published() >= 10, wake, '10 bars published');

    const nc = await connect({ servers: urls });
    const leader = (await (await jetstreamManager(nc)).streams.info('BARS')).cluster?.leader;
    await nc.close();
    const victim = nodes.find((n) => n.name === leader);
    expect(victim).toBeDefined();
    await victim!.kill();
    const atKill = bars;
    await until(() => bars >= atKill + 20 && provider.bus!.stats().held === 0, wake, 'publishing resumed on the new leader', 60_000);
    await session.stop();
    stopped = true;

    const survivor = nodes.find((n) => n !== victim)!;
    const stored = await readStream(survivor.url, 'BARS');
    for (const symbol of SYMBOLS) {
      const mine = stored.filter((m) => m.subject === `argo.bars.binance.1m.${symbol}`).map((m) => m.bar);
      expect(mine.length).toBeGreaterThan(15);
      expect(streamProblems(sim, symbol, mine)).toEqual([]);
    }
  }, 120_000);
});
