/** Connection state of a market data connection, shared by the connection machine and every provider. */

/** Connection state as the seed names it; `reconnecting` covers backoff and re-handshake. */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';
