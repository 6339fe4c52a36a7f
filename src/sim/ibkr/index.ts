/**
 * Public surface of the TWS-protocol simulator: a loopback TCP server that speaks the TWS API socket protocol
 * (server version 193, the one `@stoqey/ib` 1.6.10 negotiates) over a simulated IBKR paper account.
 *
 *   const sim = await startIbkrSimulator({ prices: { AAPL: 190 } });
 *   // connect TWS API clients to 127.0.0.1:sim.port, then:
 *   sim.setPrice('AAPL', 185);          // fills the working limit orders it crosses
 *   sim.dropConnections();              // fault: cut every socket
 *   await sim.close();
 */
export { DEFAULT_IBKR_SIMULATOR_OPTIONS, IbkrSimulator, startIbkrSimulator, type IbkrSimulatorEvents, type IbkrSimulatorOptions, type RecordedRequest } from './simulator.ts';
export { SERVER_VERSION } from './messages.ts';
export type { SimContract, SimExecution, SimOrder, SimOrderStatus, SimPosition } from './broker.ts';
export type { SimConnectionInfo } from './connection.ts';
