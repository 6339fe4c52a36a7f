/**
 * A Prometheus endpoint for a session (`--metrics <port>`): `GET /metrics` renders `stats()` with prom-client in
 * the text exposition format 0.0.4; which families exist and how each is read is the table in
 * `metric-families.ts`. The server binds loopback only: it is an operator's tap, not a public service. Every
 * label value (session id, symbol, reason, …) passes `redact` before prom-client sees it, as session_events and
 * traces do, so a registered secret never reaches the scrape text.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, Summary } from 'prom-client';
import { realtimeError } from '../errors.ts';
import { redact } from '../secrets.ts';
import type { SessionStats } from '../session/types.ts';
import { busMetricFamilies } from '../bus/metrics.ts';
import { METRIC_FAMILIES, type MetricFamily, type MetricSample, type SummarySnapshot } from './metric-families.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

// Redacted before prom-client escapes `\`, `"` and newlines: a secret holding one of those would no longer match afterwards.
const safeLabels = (labels: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, redact(String(v))]));

/** A prom-client summary whose values are a snapshot taken from the session, not observations made here. */
class SnapshotSummary extends Summary<'session' | 'quantile'> {
  readonly #name: string;
  readonly #session: string;
  readonly #snapshot: SummarySnapshot;

  constructor(name: string, help: string, registry: Registry, session: string, snapshot: SummarySnapshot) {
    super({ name, help, labelNames: ['session'], registers: [registry], percentiles: snapshot.quantiles.map(([q]) => q) });
    this.#name = name;
    this.#session = session;
    this.#snapshot = snapshot;
  }

  override async get(): ReturnType<Summary<'session' | 'quantile'>['get']> {
    const { quantiles, sum, count } = this.#snapshot;
    const session = this.#session;
    return {
      ...(await super.get()),
      values: [
        ...quantiles.map(([q, value]) => ({ labels: { session, quantile: q }, value })),
        { metricName: `${this.#name}_sum`, labels: { session }, value: sum },
        { metricName: `${this.#name}_count`, labels: { session }, value: count },
      ],
    };
  }
}

const register = (registry: Registry, family: MetricFamily, stats: SessionStats): void => {
  if (family.kind === 'summary') {
    const snapshot = family.read(stats);
    if (snapshot) new SnapshotSummary(family.name, family.help, registry, redact(stats.id), snapshot);
    return;
  }
  const read = family.read(stats);
  if (read === null || read === undefined) return;
  // `session` first on every series: label order carries no meaning, but it reads better.
  const samples: readonly MetricSample[] = (typeof read === 'number' ? [[{}, read] as const] : read).map(([labels, v]) => [safeLabels({ session: stats.id, ...labels }), v]);
  const labelNames = ['session', ...new Set(samples.flatMap(([labels]) => Object.keys(labels).filter((k) => k !== 'session')))];
  const config = { name: family.name, help: family.help, labelNames, registers: [registry] };
  if (family.kind === 'gauge') {
    const g = new Gauge(config);
    for (const [labels, value] of samples) g.set(labels, value);
  } else {
    const c = new Counter(config);
    // A counter read from a snapshot: the session's own count is the value (it never goes down within a run).
    for (const [labels, value] of samples) c.inc(labels, Math.max(0, value));
  }
};

/** Renders session statistics in the Prometheus text format; every series carries a `session` label. */
export const renderMetrics = async (stats: SessionStats): Promise<string> => {
  const registry = new Registry();
  for (const family of METRIC_FAMILIES) register(registry, family, stats);
  // The bus's families depend on its role (publish or consume), so they are listed by the bus module.
  for (const f of stats.bus ? busMetricFamilies(stats.bus, {}) : []) register(registry, { kind: f.type, name: f.name, help: f.help, read: () => f.samples }, stats);
  return registry.metrics();
};

/** The Content-Type of {@link renderMetrics}'s text. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Loopback address to bind (default `127.0.0.1`); anything else is refused. */
  readonly host?: string;
  /** Read on every scrape; `undefined` (no session yet) answers 503. */
  readonly stats: () => SessionStats | undefined;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** `http://127.0.0.1:PORT/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `GET /metrics` on loopback; resolves once listening, rejects with CONFIG_INVALID for a non-loopback host. */
export const startMetricsServer = async (options: MetricsServerOptions): Promise<MetricsServer> => {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw realtimeError('CONFIG_INVALID', `metrics: host ${JSON.stringify(host)} is not loopback; the endpoint binds 127.0.0.1 or ::1 only`, { field: 'host', value: host });
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    let body: string;
    try {
      const stats = options.stats();
      if (stats === undefined) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('no session yet\n');
        return;
      }
      body = await renderMetrics(stats);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`stats failed: ${redact(e instanceof Error ? e.message : String(e))}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(realtimeError('CONFIG_INVALID', `metrics: cannot listen on ${host}:${options.port}: ${e.message}`, { field: 'port' })));
    server.listen(options.port, host, () => { server.removeAllListeners('error'); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/metrics`,
    port,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeAllConnections();
    }),
  };
};
