/**
 * Test helpers around the bus: read every message of a stream back, wait for JetStream to answer (a fresh
 * cluster elects its meta leader after the servers are ready), and check a stream's bars against the simulator.
 */
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { decodeBar } from '../../src/bus/bar-message.ts';
import type { Bar } from '../../src/domain/bar.ts';
import { klineToBar } from '../../src/providers/binance/parse.ts';
import type { BinanceSimulator } from '../../src/sim/binance/index.ts';
import type { NatsServer } from './nats-server.ts';

/** Every message of `stream`, in stream order, with its subject and decoded bar. */
export const readStream = async (url: string, stream: string): Promise<{ subject: string; seq: number; bar: Bar; msgId: string | undefined }[]> => {
  const nc = await connect({ servers: url });
  try {
    // A cluster that just lost a node may take a few seconds to answer: a generous timeout, no API probe.
    const jsm = await jetstreamManager(nc, { timeout: 20_000, checkAPI: false });
    const info = await jsm.streams.info(stream);
    const out: { subject: string; seq: number; bar: Bar; msgId: string | undefined }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (!m) continue;
      const d = decodeBar(m.data);
      if (!('bar' in d)) throw new Error(`message ${seq} is not a bar: ${d.problem}`);
      out.push({ subject: m.subject, seq, bar: d.bar, msgId: m.header?.get('Nats-Msg-Id') });
    }
    return out;
  } finally {
    await nc.close();
  }
};

/** The lines nats-server logs when a JetStream meta leader is elected: by the leader, and by every other node. */
const META_LEADER = /Self is new JetStream cluster metadata leader|JetStream cluster new metadata leader/;

/**
 * Resolves once `node` knows the JetStream meta leader (it logs the election; before that its JetStream API has
 * no one to answer) and then answers an account-info request.
 */
export const waitForJetStream = async (node: NatsServer): Promise<void> => {
  await node.logged(META_LEADER, 30_000);
  const nc = await connect({ servers: node.url });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 20_000, checkAPI: false });
    await jsm.getAccountInfo();
  } finally {
    await nc.close();
  }
};

/** Problems of one symbol's bars on the bus: holes, duplicates, and values that differ from the simulator's. */
export const streamProblems = (sim: BinanceSimulator, symbol: string, bars: readonly Bar[], stepMs = 60_000): string[] => {
  const problems: string[] = [];
  const sorted = [...bars].sort((a, b) => a.openTime - b.openTime);
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i]!.openTime - sorted[i - 1]!.openTime;
    if (d === 0) problems.push(`${symbol} ${sorted[i]!.openTime} twice`);
    else if (d !== stepMs) problems.push(`${symbol} hole after ${sorted[i - 1]!.openTime} (next ${sorted[i]!.openTime})`);
  }
  for (const b of sorted) {
    const expected = klineToBar(sim.bar(symbol, '1m', b.openTime), 0);
    if (typeof expected === 'string') { problems.push(`${symbol} ${b.openTime}: simulator has no bar (${expected})`); continue; }
    for (const k of ['open', 'high', 'low', 'close', 'volume', 'vwap', 'tradeCount', 'closeTime'] as const) {
      if (b[k] !== expected[k]) problems.push(`${symbol} ${b.openTime} ${k}: ${b[k]} on the bus, ${expected[k]} in the simulator`);
    }
  }
  return problems;
};

/** Resolves when `check()` holds, re-checking whenever `subscribe`'s callback fires; rejects after `ms`. */
export const until = (check: () => boolean, subscribe: (wake: () => void) => () => void, what: string, ms = 30_000): Promise<void> =>
  new Promise((resolve, reject) => {
    if (check()) { resolve(); return; }
    let off: () => void = () => {};
    const timer = setTimeout(() => { off(); reject(new Error(`timed out waiting for ${what}`)); }, ms);
    off = subscribe(() => {
      if (!check()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
