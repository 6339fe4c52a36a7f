/**
 * The Parquet-roll lease of a recorder fleet: each window is rolled by exactly one recorder. Before rolling a
 * window a roller creates `p.<window>` in the fleet's lease bucket (`argo_leases_<fleet>`, max age = TTL, the
 * bucket of the stream leases) and renews it every third of the TTL while it rolls; when the roll is written it
 * records `w.<window>` in `argo_rolls_<fleet>` (kept for days) and only then deletes its lease. The others, finding
 * the lease held, wait and try again until the window is recorded as rolled: a dead roller's lease ages out within
 * the TTL and the next one rolls the window. A roll repeated by a roller that was paused past its TTL is harmless:
 * the window's files have deterministic names and are rewritten with the same rows.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { describe, realtimeError } from '../errors.ts';
import type { BusConfig } from './config.ts';

/** What a claim found: the lease is ours now, the window was rolled already, or another roller holds it. */
export type RollClaim = 'claimed' | 'done' | 'held';

const DONE_MAX_AGE_MS = 7 * 86_400_000;
const encoder = new TextEncoder();

/** The roll lease of one recorder. */
export class RollLease {
  readonly self: string;
  readonly ttlMs: number;
  private readonly leases: KV;
  private readonly done: KV;
  private readonly revisions = new Map<string, number>();

  private constructor(leases: KV, done: KV, self: string, ttlMs: number) {
    this.leases = leases;
    this.done = done;
    this.self = self;
    this.ttlMs = ttlMs;
  }

  /** Opens (or creates) the fleet's lease bucket and its record of rolled windows. */
  static async open(nc: NatsConnection, config: BusConfig, self: string): Promise<RollLease> {
    const kvm = new Kvm(nc);
    try {
      const leases = await kvm.create(`argo_leases_${config.fleet!}`, { history: 1, ttl: config.lease_ttl_ms, replicas: config.replicas });
      const done = await kvm.create(`argo_rolls_${config.fleet!}`, { history: 1, ttl: DONE_MAX_AGE_MS, replicas: config.replicas });
      return new RollLease(leases, done, self, config.lease_ttl_ms);
    } catch (e) {
      throw realtimeError('REQUEST_FAILED', `fleet ${config.fleet}: roll lease buckets: ${describe(e)}`, { source: 'bus' });
    }
  }

  /** Tries to take the lease of a window. */
  async claim(window: string): Promise<RollClaim> {
    if (await this.isDone(window)) return 'done';
    try {
      this.revisions.set(window, await this.leases.create(`p.${window}`, encoder.encode(this.self)));
    } catch (e) {
      if (/wrong last sequence/i.test(describe(e))) return 'held';
      throw e;
    }
    // The holder records the window before deleting its lease: seen here if it finished just before our create.
    if (await this.isDone(window)) { await this.release(window); return 'done'; }
    return 'claimed';
  }

  /** Renews a held lease; false when it was lost (expired and taken, or changed). */
  async renew(window: string): Promise<boolean> {
    const revision = this.revisions.get(window);
    if (revision === undefined) return false;
    try {
      this.revisions.set(window, await this.leases.update(`p.${window}`, encoder.encode(this.self), revision));
      return true;
    } catch {
      this.revisions.delete(window);
      return false;
    }
  }

  /** Records the window as rolled, then gives the lease back. */
  async finish(window: string): Promise<void> {
    await this.done.put(`w.${window}`, encoder.encode(this.self));
    await this.release(window);
  }

  /** Gives the lease back without recording the window (the roll failed: another roller may try it). */
  async release(window: string): Promise<void> {
    const revision = this.revisions.get(window);
    this.revisions.delete(window);
    if (revision !== undefined) await this.leases.delete(`p.${window}`, { previousSeq: revision }).catch(() => undefined);
  }

  /** Who rolled a window, if it was rolled. */
  async rolledBy(window: string): Promise<string | undefined> {
    const e = await this.done.get(`w.${window}`);
    return e && e.operation === 'PUT' ? e.string() : undefined;
  }

  private async isDone(window: string): Promise<boolean> {
    return (await this.rolledBy(window)) !== undefined;
  }
}
