/**
 * What a Massive (formerly Polygon) status event means. The status alone does not say it: `success` answers a
 * connect (spec: `Connected Successfully`), an authentication (older servers: `authenticated`) and each
 * subscription parameter (`subscribed to: AM.AAPL`); `error` is a refused key in older servers
 * (`authentication failed`) and otherwise a refused request. The message tells them apart.
 * Sources: `.massive/websocket.json` (ConnectEvent, AuthEvent, SubscribeEvent, UnsubscribeEvent,
 * DisconnectEvent) in massive-com/client-python; live frames quoted in alpacahq/Alpaca-API#68 and
 * polygon-io/client-examples#5 (test/fixtures/massive/ws_statuses.json).
 */
import { POLYGON_DISCONNECT_STATUSES, POLYGON_STATUS, POLYGON_STATUS_MESSAGES } from './messages.ts';
import { parseSubscriptionAnswer } from './subscriptions.ts';

/** The meaning of one status event. */
export type PolygonStatusMeaning =
  | { readonly kind: 'connected' }
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'authFailed' }
  /** The server wants a key: before `auth` was sent a prompt, after it a lost authentication. */
  | { readonly kind: 'authRequired' }
  | { readonly kind: 'ack'; readonly op: 'subscribe' | 'unsubscribe'; readonly stream: string }
  /** A refused request (a subscription, an unknown action); names no request, only a message. */
  | { readonly kind: 'error' }
  /** The server ends (or has ended) the connection: `max_connections`, `force_disconnect`, `slow_consumer`, `auth_timeout`. */
  | { readonly kind: 'disconnect'; readonly status: string }
  | { readonly kind: 'unknown' };

const same = (message: string, expected: string): boolean => message.trim().toLowerCase() === expected.toLowerCase();

/** Classifies a status event by its status and message. */
export const classifyPolygonStatus = (status: string, message: string): PolygonStatusMeaning => {
  switch (status) {
    case POLYGON_STATUS.connected:
      return { kind: 'connected' };
    case POLYGON_STATUS.authSuccess:
      return { kind: 'authenticated' };
    case POLYGON_STATUS.authFailed:
      return { kind: 'authFailed' };
    case POLYGON_STATUS.authRequired:
      return { kind: 'authRequired' };
    case POLYGON_STATUS.success: {
      if (same(message, POLYGON_STATUS_MESSAGES.connected)) return { kind: 'connected' };
      if (same(message, POLYGON_STATUS_MESSAGES.authenticated)) return { kind: 'authenticated' };
      const answer = parseSubscriptionAnswer(message);
      return answer ? { kind: 'ack', ...answer } : { kind: 'unknown' };
    }
    case POLYGON_STATUS.error:
      return same(message, POLYGON_STATUS_MESSAGES.authenticationFailed) ? { kind: 'authFailed' } : { kind: 'error' };
  }
  return status in POLYGON_DISCONNECT_STATUSES ? { kind: 'disconnect', status } : { kind: 'unknown' };
};
