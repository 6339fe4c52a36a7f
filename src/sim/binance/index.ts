/**
 * Public surface of the Binance market-stream simulator: a loopback server that speaks the kline streams and
 * REST backfill of one Binance feed (`feed`: Spot by default, `usdm` or `coinm` futures) over a deterministic
 * market with its own clock, with fault switches, and on Spot the signed trading endpoints over a matching engine
 * (credentials `apiKey` / `secretKey`; use `serverClock: 'wall'` when the market runs faster than real time, so
 * that request timestamps stay valid).
 *
 *   const sim = await startBinanceSimulator({ paused: true, symbols: ['BTCUSDT'] });
 *   // connect to `${sim.streamBase}/ws` (USDⓈ-M: `${sim.wsUrl}/market/ws`), SUBSCRIBE btcusdt@kline_1m, then:
 *   sim.advance(30);                                   // one market minute at 2 s per step
 *   sim.bar('BTCUSDT', '1m', sim.options.startTime);   // the final frame the client received
 *   await sim.close();
 */
export {
  BinanceSimulator, startBinanceSimulator, type BinanceSimulatorDeps, type BinanceSimulatorEvents, type ConnectionFilter,
} from './simulator.ts';
export { DEFAULT_OPTIONS, resolveOptions, type BinanceSimulatorOptions } from './options.ts';
export { DEFAULT_COINM_SYMBOLS, DEFAULT_SYMBOLS, DEFAULT_USDM_SYMBOLS, defaultSymbols, syntheticSymbols } from './instruments.ts';
export type { ConnectionInfo, ReceivedKind } from './connection.ts';
export type { FaultRates } from './faults.ts';
export type { RestRequestRecord } from './rest.ts';
export type { SimBalance, SimOrder, SimTrade } from './matching.ts';
export { hmacHex } from './signing.ts';
export type { SimulatorStats } from './stats.ts';
