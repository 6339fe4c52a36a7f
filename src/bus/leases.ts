/**
 * Stream leases of a recorder fleet in a JetStream KV bucket (`argo_leases_<fleet>`, history 1, max age =
 * `lease_ttl_ms`): a recorder announces itself under `r.<id>` and holds each stream it records under
 * `s.<stream>`, renewing both every third of the TTL with compare-and-set updates. A recorder that dies stops
 * renewing, its keys age out of the bucket within the TTL, and the others take its streams; a lease lost to a
 * failed renewal is released at once, so a stream has one live recorder. Overlaps during a hand-over are
 * harmless: the bars' message ids make the second publish a duplicate.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { describe, realtimeError, type RealtimeError } from '../errors.ts';
import type { BusConfig } from './config.ts';
import { planLeases } from './lease-plan.ts';

/** Callbacks of a lease holder: start or stop recording a stream. */
export interface LeaseHandlers {
  acquired(stream: string): Promise<void>;
  released(stream: string): Promise<void>;
  onError(e: RealtimeError): void;
}

/** Lease figures for stats and metrics. */
export interface LeaseStats {
  readonly fleet: string;
  readonly recorder: string;
  readonly held: readonly string[];
  readonly liveRecorders: number;
  readonly takeovers: number;
  readonly released: number;
}

const encoder = new TextEncoder();

/** The lease manager of one recorder. */
export class FleetLeases {
  readonly fleet: string;
  readonly self: string;
  private readonly kv: KV;
  private readonly universe: readonly string[];
  private readonly handlers: LeaseHandlers;
  private readonly revisions = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private live = 1;
  private counts = { takeovers: 0, released: 0 };
  private stopped = false;

  private constructor(kv: KV, fleet: string, self: string, universe: readonly string[], handlers: LeaseHandlers) {
    this.kv = kv;
    this.fleet = fleet;
    this.self = self;
    this.universe = universe;
    this.handlers = handlers;
  }

  /** Opens (or creates) the fleet's bucket and runs the first round; later rounds run every third of the TTL. */
  static async start(nc: NatsConnection, config: BusConfig, self: string, universe: readonly string[], handlers: LeaseHandlers): Promise<FleetLeases> {
    const fleet = config.fleet!;
    const kv = await new Kvm(nc).create(`argo_leases_${fleet}`, { history: 1, ttl: config.lease_ttl_ms, replicas: config.replicas });
    const leases = new FleetLeases(kv, fleet, self, universe, handlers);
    await leases.tick();
    leases.timer = setInterval(() => { leases.round = leases.round.then(() => leases.tick()); }, Math.max(50, Math.floor(config.lease_ttl_ms / 3)));
    leases.timer.unref();
    return leases;
  }

  /** One round: renew, count the living, then acquire or release per {@link planLeases}. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.renew(`r.${this.self}`);
      for (const stream of [...this.revisions.keys()].filter((k) => k.startsWith('s.'))) {
        if (!(await this.renew(stream))) {
          this.handlers.onError(realtimeError('LEASE_LOST', `fleet ${this.fleet}: lease on ${stream.slice(2)} lost; stopping it here`, { source: 'bus', stream: stream.slice(2) }));
          this.counts.released++;
          await this.handlers.released(stream.slice(2));
        }
      }
      const holders = new Map<string, string>();
      let live = 0;
      for await (const key of await this.kv.keys()) {
        const entry = await this.kv.get(key);
        if (!entry || entry.operation !== 'PUT') continue;
        if (key.startsWith('r.')) live++;
        else if (key.startsWith('s.')) holders.set(key.slice(2), entry.string());
      }
      this.live = Math.max(1, live);
      const plan = planLeases({ self: this.self, universe: this.universe, holders, live: this.live });
      for (const stream of plan.release) {
        await this.kv.delete(`s.${stream}`, { previousSeq: this.revisions.get(`s.${stream}`)! }).catch(() => undefined);
        this.revisions.delete(`s.${stream}`);
        this.counts.released++;
        await this.handlers.released(stream);
      }
      for (const stream of plan.acquire) {
        try {
          this.revisions.set(`s.${stream}`, await this.kv.create(`s.${stream}`, encoder.encode(this.self)));
        } catch {
          continue; // Another recorder took it first.
        }
        this.counts.takeovers++;
        await this.handlers.acquired(stream);
      }
    } catch (e) {
      this.handlers.onError(realtimeError('REQUEST_FAILED', `fleet ${this.fleet}: lease round failed: ${describe(e)}`, { source: 'bus' }));
    }
  }

  /** Renews (or first puts) a key this recorder holds; false when someone else changed it meanwhile. */
  private async renew(key: string): Promise<boolean> {
    const revision = this.revisions.get(key);
    try {
      this.revisions.set(key, revision === undefined ? await this.kv.put(key, encoder.encode(this.self)) : await this.kv.update(key, encoder.encode(this.self), revision));
      return true;
    } catch {
      this.revisions.delete(key);
      return false;
    }
  }

  /** Streams held now. */
  held(): string[] {
    return [...this.revisions.keys()].filter((k) => k.startsWith('s.')).map((k) => k.slice(2));
  }

  stats(): LeaseStats {
    return { fleet: this.fleet, recorder: this.self, held: this.held(), liveRecorders: this.live, ...this.counts };
  }

  /** Stops renewing and gives every lease back, so the others take over at once instead of after the TTL. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.round;
    for (const key of this.revisions.keys()) await this.kv.delete(key).catch(() => undefined);
    this.revisions.clear();
  }
}
