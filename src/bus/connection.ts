/**
 * Opens the NATS connection of a recorder or a strategy host (reconnecting forever after the first connect, so
 * a restarted server or a failed-over cluster member is picked up again) and makes sure the bar stream exists.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { describe, realtimeError } from '../errors.ts';
import { registerSecret } from '../secrets.ts';
import type { BusConfig } from './config.ts';

/** Connects to the bus; rejects with CONNECTION_FAILED (or AUTHENTICATION_FAILED) when no server answers. */
export const connectBus = async (config: BusConfig, name: string): Promise<NatsConnection> => {
  registerSecret(config.password);
  registerSecret(config.token);
  const servers = config.url.split(',').map((u) => u.trim());
  try {
    return await connect({
      servers, name,
      ...(config.user ? { user: config.user } : {}), ...(config.password ? { pass: config.password } : {}), ...(config.token ? { token: config.token } : {}),
      // Bars are held by the publisher while the bus is away; the connection itself keeps trying for ever.
      reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 250, reconnectJitter: 100,
      pingInterval: 5_000, maxPingOut: 2,
    });
  } catch (e) {
    const message = describe(e);
    const auth = /auth/i.test(message);
    throw realtimeError(auth ? 'AUTHENTICATION_FAILED' : 'CONNECTION_FAILED', `bus ${servers.join(',')}: ${message}`, { source: 'bus' });
  }
};

/** Creates the bar stream when it is missing (file storage, de-duplication window, replicas). */
export const ensureBarStream = async (nc: NatsConnection, config: BusConfig): Promise<JetStreamManager> => {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(config.stream);
  } catch (e) {
    if (!/not found/i.test(describe(e))) throw realtimeError('REQUEST_FAILED', `bus stream ${config.stream}: ${describe(e)}`, { source: 'bus' });
    try {
      await jsm.streams.add({
        name: config.stream, subjects: [`${config.subject_prefix}.>`], storage: 'file', num_replicas: config.replicas,
        duplicate_window: config.duplicate_window_s * 1_000_000_000,
      });
    } catch (err) {
      // Two recorders starting together: the other one created it first.
      if (!/already in use|exists/i.test(describe(err))) throw realtimeError('REQUEST_FAILED', `bus stream ${config.stream}: ${describe(err)}`, { source: 'bus' });
    }
  }
  return jsm;
};
