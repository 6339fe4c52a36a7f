/**
 * Offline traces: the inspection events of every actor of a session, as JSON lines, for `trace summarize` and
 * for reading after the fact. `createTraceWriter(path).inspect` goes where the Stately inspector would go (the
 * session's `inspect` option and the provider's `providerDeps.inspect`); `attach(session)` adds the session's
 * facts (orders, fills, errors, connection changes) that happen outside any traced actor.
 *
 * One line per record, `t` in Unix ms:
 * - `{"kind":"actor","actor":"session.writer","parent":"session","systemId":"writer","system":0}`
 * - `{"kind":"event","actor":"session","source":"session.marketData","event":{"type":"bar.closed","bar":"binance|BTCUSDT|1m|…"}}`
 * - `{"kind":"snapshot","actor":"connection","event":"socket.closed","state":"backoff","status":"active","ctx":{…}}`
 *   (`ctx`, the scalar context fields, only when the state changed)
 * - `{"kind":"fact","actor":"session","fact":"order","data":{…}}`
 * Bars are reduced to their key and every line passes through `redact`, so no registered secret is written.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { InspectionEvent } from 'xstate';
import { redact } from '../secrets.ts';
import type { RealtimeSession } from '../session/session.ts';
import type { SessionEvents } from '../session/types.ts';
import { ActorNames, stateText, type ActorRefParts } from './actor-names.ts';
import { contextScalars, toTraceValue, type TraceValue } from './sanitize.ts';

/** One line of a trace file. */
export type TraceLine =
  | { readonly t: number; readonly kind: 'actor'; readonly actor: string; readonly parent?: string; readonly systemId?: string; readonly system: number }
  | { readonly t: number; readonly kind: 'event'; readonly actor: string; readonly source?: string; readonly event: TraceValue }
  | {
      readonly t: number; readonly kind: 'snapshot'; readonly actor: string; readonly event: string;
      readonly state?: string; readonly status: string; readonly ctx?: Record<string, TraceValue>;
    }
  | { readonly t: number; readonly kind: 'fact'; readonly actor: string; readonly fact: string; readonly data: TraceValue };

/** Options of {@link createTraceWriter}. */
export interface TraceWriterOptions {
  /** Also write `event` lines (every event delivered, with its payload); default true. */
  readonly events?: boolean;
  /** Clock of the `t` field (default `Date.now`). */
  readonly now?: () => number;
}

/** A trace file being written. */
export interface TraceWriter {
  readonly path: string;
  /** Pass as `inspect` (session) and `providerDeps.inspect` (provider connections). */
  readonly inspect: (event: InspectionEvent) => void;
  /** Records the session's facts (orders, fills, errors, connection and state changes); returns the detacher. */
  attach(session: Pick<RealtimeSession, 'on'>): () => void;
  /** Lines written so far. */
  readonly lines: number;
  /** Stops recording, flushes and closes the file; rejects if the file could not be written. */
  close(): Promise<void>;
}

const FACTS = ['state', 'connection', 'error', 'order', 'fill', 'strategy', 'strategy.skipped'] as const satisfies readonly (keyof SessionEvents)[];

/** Creates (or truncates) `path` and returns the trace writer whose `inspect` fills it. */
export const createTraceWriter = (path: string, options: TraceWriterOptions = {}): TraceWriter => {
  mkdirSync(dirname(path), { recursive: true });
  const stream = createWriteStream(path, { flags: 'w' });
  let failure: Error | undefined;
  stream.on('error', (e) => { failure ??= e; });
  const names = new ActorNames();
  const lastState = new Map<string, string | undefined>();
  const lastStatus = new Map<string, string>();
  const now = options.now ?? Date.now;
  const withEvents = options.events ?? true;
  let closed = false;
  let lines = 0;

  const write = (line: TraceLine) => {
    if (closed || failure) return;
    stream.write(`${redact(JSON.stringify(line))}\n`);
    lines++;
  };

  const inspect = (ev: InspectionEvent): void => {
    if (closed) return;
    const ref = ev.actorRef as unknown as ActorRefParts & { systemId?: string };
    const actor = names.name(ref);
    const t = now();
    switch (ev.type) {
      case '@xstate.actor':
        write({
          t, kind: 'actor', actor, system: names.system(ref),
          ...(ref._parent ? { parent: names.name(ref._parent) } : {}),
          ...(typeof ref.systemId === 'string' ? { systemId: ref.systemId } : {}),
        });
        return;
      case '@xstate.event':
        if (!withEvents) return;
        write({
          t, kind: 'event', actor, event: toTraceValue(ev.event) ?? null,
          ...(ev.sourceRef ? { source: names.name(ev.sourceRef as unknown as ActorRefParts) } : {}),
        });
        return;
      case '@xstate.snapshot': {
        const snapshot = ev.snapshot as { status: string; value?: unknown; context?: unknown };
        const state = stateText(snapshot.value);
        // Callback and promise actors have no state: only a change of their status is worth a line.
        if (state === undefined && lastStatus.get(actor) === snapshot.status) return;
        const changed = !lastState.has(actor) || lastState.get(actor) !== state;
        lastState.set(actor, state);
        lastStatus.set(actor, snapshot.status);
        const ctx = changed ? contextScalars(snapshot.context) : undefined;
        write({ t, kind: 'snapshot', actor, event: ev.event.type, ...(state !== undefined ? { state } : {}), status: snapshot.status, ...(ctx ? { ctx } : {}) });
        return;
      }
      default:
        // Microsteps and actions add volume, not information, for a trace.
        return;
    }
  };

  return {
    path,
    inspect,
    attach(session) {
      const offs = FACTS.map((fact) => session.on(fact, (data: unknown) => write({ t: now(), kind: 'fact', actor: 'session', fact, data: toTraceValue(data) ?? null })));
      return () => offs.forEach((off) => off());
    },
    get lines() {
      return lines;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!stream.writableEnded) {
        stream.end();
        if (!failure) await Promise.race([once(stream, 'finish'), once(stream, 'error')]).catch(() => undefined);
      }
      if (failure) throw failure;
    },
  };
};
