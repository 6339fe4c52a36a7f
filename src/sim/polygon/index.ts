/**
 * Public surface of the Polygon simulator: a loopback server that speaks Polygon's WebSocket clusters (auth,
 * statuses, AM / A / XA / CA aggregate events) and REST aggregates over a deterministic market with its own
 * clock, with fault switches and a ground truth.
 *
 *   const sim = await startPolygonSimulator({ paused: true, correctionRate: 0.1 });
 *   // connect to `${sim.wsUrl}/stocks`, auth with 'sim-polygon-key', subscribe AM.AAPL, then:
 *   sim.advance(60);                                        // one market minute at 1 s per step
 *   sim.closedBars('AAPL', '1m', sim.options.startTime);    // what the client should hold (corrections applied)
 *   await sim.close();
 */
export {
  PolygonSimulator, startPolygonSimulator, type PolygonConnectionFilter, type PolygonDisconnectStatus, type PolygonSimulatorEvents,
} from './simulator.ts';
export { DEFAULT_POLYGON_OPTIONS, resolvePolygonOptions, type PolygonSimulatorOptions } from './options.ts';
export { DEFAULT_POLYGON_SYMBOLS } from './instruments.ts';
export type { PolygonConnectionInfo, PolygonSimStats } from './connection.ts';
export type { SimRow } from './market.ts';
export type { PolygonRestRecord } from './rest.ts';
