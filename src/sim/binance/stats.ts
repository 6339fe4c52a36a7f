/** Counters the simulator keeps for tests and benchmarks. */

/** Everything the simulator counts since it started. */
export interface SimulatorStats {
  connectionsOpened: number;
  connectionsClosed: number;
  /** Connections cut without a close frame (`dropConnections`, dead-peer terminations). */
  connectionsDropped: number;
  /** Connections closed 1008 for sending more than `maxMessagesPerSecond` messages in one second. */
  rateLimitViolations: number;
  /** SUBSCRIBE requests refused for passing `maxStreamsPerConnection`. */
  streamLimitViolations: number;
  /** Connections terminated because a ping went unanswered for `pongTimeoutMs`. */
  pongTimeouts: number;
  /** Every WebSocket frame sent (data, control replies, events, faults). */
  framesSent: number;
  /** Kline frames sent as themselves (not counting duplicates and garbage). */
  dataFramesSent: number;
  controlRepliesSent: number;
  malformedSent: number;
  duplicatesSent: number;
  reorderedSent: number;
  restRequests: number;
  /** REST answers with HTTP 429 and 418. */
  restRateLimited: number;
  restBanned: number;
}

/** Fresh zeroed counters. */
export const createStats = (): SimulatorStats => ({
  connectionsOpened: 0,
  connectionsClosed: 0,
  connectionsDropped: 0,
  rateLimitViolations: 0,
  streamLimitViolations: 0,
  pongTimeouts: 0,
  framesSent: 0,
  dataFramesSent: 0,
  controlRepliesSent: 0,
  malformedSent: 0,
  duplicatesSent: 0,
  reorderedSent: 0,
  restRequests: 0,
  restRateLimited: 0,
  restBanned: 0,
});
