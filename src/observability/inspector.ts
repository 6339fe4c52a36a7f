/**
 * The Stately visual inspector for a session (`--inspect[=port]`): a relay on loopback plus
 * `@statelyai/inspect`'s `createWebSocketInspector`, whose `inspect` goes into the session (and the provider).
 * Open the printed URL: the page embeds https://stately.ai/inspect (the one thing loaded from the internet) and
 * forwards it every inspection event it gets from the relay.
 *
 * Why not `createInspectorServer` from `@statelyai/inspect/server` (0.7.2): it listens on every interface (no host
 * option), cannot report the port it got for port 0, opens a browser with `exec`, and keeps only the last 200
 * messages, so a page opened after start misses the actor registrations. This relay speaks the same protocol
 * (the producer's messages are forwarded to every page, and replayed to late joiners), binds 127.0.0.1, keeps the
 * first 200 actor registrations (roots and long-lived children) plus the last `replay` other messages, and opens
 * nothing. Unlike the library's server it trusts no client: only the session's own producer (which connects with
 * a random token) is relayed, whatever any other client sends is dropped, and a WebSocket whose `Origin` is not
 * loopback or the Stately inspector's own (https://stately.ai), or a request whose `Host` is not loopback (DNS
 * rebinding), is refused.
 * Actors of different actor systems (the session, each provider connection, the writer) would all be `x:0`:
 * session ids are prefixed with their system's index so that the inspector shows them apart.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebSocketInspector } from '@statelyai/inspect';
import { WebSocket, WebSocketServer } from 'ws';
import type { AnyEventObject, InspectionEvent } from 'xstate';
import { realtimeError } from '../errors.ts';
import { redact } from '../secrets.ts';
import { ActorNames, type ActorRefParts } from './actor-names.ts';
import { toTraceValue } from './sanitize.ts';

/** Options of {@link startInspector}. */
export interface InspectorOptions {
  /** Port of the relay and the page; 0 picks a free one (default 8080, the inspector's usual port). */
  readonly port?: number;
  /** Non-registration messages kept for a page opened later (default 5000). */
  readonly replay?: number;
}

/** A running inspector. */
export interface Inspector {
  /** The page to open in a browser. */
  readonly url: string;
  /** The relay's WebSocket URL (other receivers, tests). */
  readonly wsUrl: string;
  readonly port: number;
  /** Pass as the session's `inspect` option (and `providerDeps.inspect`). */
  readonly inspect: (event: InspectionEvent) => void;
  /** Disconnects the inspector and closes the relay. */
  stop(): Promise<void>;
}

const PINNED = 200;
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
/** Origins besides loopback pages that may open a relay WebSocket: the hosted Stately inspector. */
export const INSPECTOR_ORIGINS: ReadonlySet<string> = new Set(['https://stately.ai']);

/** True when a WebSocket `Origin` header may connect: none (not a browser), a loopback page, or the Stately inspector. */
export const originAllowed = (origin: string | undefined): boolean => {
  if (origin === undefined) return true;
  if (INSPECTOR_ORIGINS.has(origin)) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
};

// A page reached under another name (DNS rebinding: evil.example resolving to 127.0.0.1) is refused.
const hostAllowed = (req: IncomingMessage): boolean => {
  const host = req.headers.host;
  if (host === undefined) return false;
  try {
    return LOOPBACK_HOSTS.has(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
};

const page = (wsUrl: string): string => `<!DOCTYPE html>
<html><head><title>argo-realtime · Stately Inspector</title>
<style>*{margin:0;padding:0}html,body{height:100%}iframe{width:100%;height:100%;border:none}</style></head>
<body><iframe id="inspector" src="https://stately.ai/inspect"></iframe>
<script>
const iframe = document.getElementById('inspector');
const buffer = [];
let connected = false;
window.addEventListener('message', (e) => {
  if (e.data && e.data.type === '@statelyai.connected') {
    connected = true;
    for (const ev of buffer.splice(0)) iframe.contentWindow.postMessage(ev, '*');
  }
});
const ws = new WebSocket(${JSON.stringify(wsUrl)});
ws.onmessage = (m) => {
  const data = JSON.parse(m.data);
  if (connected) iframe.contentWindow.postMessage(data, '*'); else buffer.push(data);
};
</script></body></html>`;

/** A stand-in actor reference whose session id carries its system's index (the fields the inspector reads). */
const prefixRef = (ref: ActorRefParts & { getSnapshot?: () => unknown }, prefix: string, seen: WeakMap<object, object>): object => {
  const known = seen.get(ref);
  if (known) return known;
  const sessionId = `${prefix}${ref.sessionId}`;
  // A root's id is its session id; the inspector names it by its machine id only while the two are equal.
  const proxy = {
    id: ref.id === ref.sessionId ? sessionId : ref.id, sessionId, logic: ref.logic,
    _parent: ref._parent ? prefixRef(ref._parent, prefix, seen) : undefined,
    getSnapshot: () => ref.getSnapshot?.(),
  };
  seen.set(ref, proxy);
  return proxy;
};

/** Starts the loopback relay and a WebSocket inspector connected to it; resolves once both are up. */
export const startInspector = async (options: InspectorOptions = {}): Promise<Inspector> => {
  const keep = options.replay ?? 5000;
  let producerSeen: () => void = () => undefined;
  const producerConnected = new Promise<void>((resolve) => { producerSeen = resolve; });
  const registrations: string[] = [];
  const recent: string[] = [];
  const http: Server = createServer((req, res) => {
    if (!hostAllowed(req)) return void res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: not a loopback host\n');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(wsUrl));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (e) => reject(realtimeError('CONFIG_INVALID', `inspector: cannot listen on 127.0.0.1:${options.port ?? 8080}: ${e.message}`, { field: 'port' })));
    http.listen(options.port ?? 8080, '127.0.0.1', () => { http.removeAllListeners('error'); resolve(); });
  });
  // Created once listening: a WebSocketServer re-emits its HTTP server's listen error, and nobody would handle it.
  const token = randomUUID();
  const wss = new WebSocketServer({
    server: http,
    verifyClient: ({ origin, req }: { origin?: string; req: IncomingMessage }) => hostAllowed(req) && originAllowed(origin || undefined),
  });
  wss.on('connection', (ws, req) => {
    const producer = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('token') === token;
    if (!producer) {
      for (const msg of [...registrations, ...recent]) ws.send(msg);
      // A page only receives: what it sends is never relayed, stored or replayed.
      return;
    }
    producerSeen();
    ws.on('message', (data) => {
      const msg = data.toString();
      // The first registrations (roots and long-lived children) stay; later ones (per-flush actors) rotate.
      const pool = msg.includes('"@xstate.actor"') && registrations.length < PINNED ? registrations : recent;
      pool.push(msg);
      if (recent.length > keep) recent.shift();
      for (const client of wss.clients) if (client !== ws && client.readyState === WebSocket.OPEN) client.send(msg);
    });
  });
  const port = (http.address() as AddressInfo).port;
  const wsUrl = `ws://127.0.0.1:${port}`;

  const sanitize = <T>(value: T): T => JSON.parse(redact(JSON.stringify(toTraceValue(value) ?? null))) as T;
  const inspector = createWebSocketInspector({
    url: `${wsUrl}/?token=${token}`,
    // Bars become their key, secrets are masked: the same rules as traces.
    sanitizeEvent: (event: AnyEventObject) => sanitize(event),
    sanitizeContext: (context) => sanitize(context),
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), 5_000); });
  const outcome = await Promise.race([producerConnected, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    inspector.stop();
    wss.close();
    http.close();
    throw realtimeError('TIMEOUT', `inspector: the WebSocket inspector did not connect to ${wsUrl}`);
  }

  const names = new ActorNames();
  const proxies = new WeakMap<object, object>();
  let stopped = false;
  const inspect = (ev: InspectionEvent): void => {
    if (stopped) return;
    const system = names.system(ev.actorRef as unknown as ActorRefParts);
    if (system === 0) {
      inspector.inspect.next?.(ev);
      return;
    }
    const prefix = `s${system}.`;
    inspector.inspect.next?.({
      ...ev,
      rootId: `${prefix}${ev.rootId}`,
      actorRef: prefixRef(ev.actorRef as unknown as ActorRefParts, prefix, proxies),
      ...('sourceRef' in ev && ev.sourceRef ? { sourceRef: prefixRef(ev.sourceRef as unknown as ActorRefParts, prefix, proxies) } : {}),
    } as InspectionEvent);
  };

  return {
    url: `http://127.0.0.1:${port}/`,
    wsUrl,
    port,
    inspect,
    async stop() {
      if (stopped) return;
      stopped = true;
      // The inspector converts events on a 0 ms timer: let the last ones go out before disconnecting.
      await new Promise((r) => setTimeout(r, 20));
      inspector.stop();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
};
