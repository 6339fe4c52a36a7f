/**
 * Turns whatever an actor event or context holds into small, JSON-safe data for traces and the inspector: a bar
 * becomes its key (`binance|BTCUSDT|1m|1767225600000`, as in the event log), errors become their JSON form (`RealtimeError`) or `{ name,
 * code, message }`, actor references become their id, functions disappear, values under secret keys become `***`, and
 * depth and array length are bounded. Registered secrets inside strings are removed later, on the serialised line
 * (`redact`), so that nothing escapes through a key this module does not know.
 */
import { barKey, type Bar } from '../domain/bar.ts';
import { SECRET_KEYS } from '../secrets.ts';

/** JSON-safe data. */
export type TraceValue = null | boolean | number | string | readonly TraceValue[] | { readonly [key: string]: TraceValue };

const MAX_DEPTH = 6;
const MAX_ITEMS = 50;

const isBar = (v: object): v is Bar => {
  const b = v as Partial<Bar>;
  return typeof b.provider === 'string' && typeof b.symbol === 'string' && typeof b.interval === 'string' && typeof b.openTime === 'number';
};

const isActorRef = (v: object): v is { id: string; sessionId: string } =>
  typeof (v as { sessionId?: unknown }).sessionId === 'string' && typeof (v as { send?: unknown }).send === 'function';

/** A JSON-safe, bounded copy of `value` with bars reduced to their key and secrets masked. */
export const toTraceValue = (value: unknown, depth = 0): TraceValue | undefined => {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  if (isBar(obj)) return barKey(obj);
  if (obj instanceof Date) return obj.getTime();
  if (isActorRef(obj)) return `actor:${obj.id}`;
  // Tagged errors (RealtimeError) know their own JSON form, data included.
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function' && depth < MAX_DEPTH) return toTraceValue(toJSON.call(obj), depth + 1);
  if (obj instanceof Error) {
    const code = (obj as { code?: unknown }).code;
    return { name: obj.name, ...(typeof code === 'string' ? { code } : {}), message: obj.message };
  }
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(obj)) {
    const items = obj.slice(0, MAX_ITEMS).map((v) => toTraceValue(v, depth + 1) ?? null);
    return obj.length > MAX_ITEMS ? [...items, `… ${obj.length - MAX_ITEMS} more`] : items;
  }
  if (obj instanceof Map) return toTraceValue(Object.fromEntries(obj), depth);
  if (obj instanceof Set) return toTraceValue([...obj], depth);
  const out: Record<string, TraceValue> = {};
  for (const [key, v] of Object.entries(obj)) {
    if (SECRET_KEYS.has(key)) {
      out[key] = '***';
      continue;
    }
    const safe = toTraceValue(v, depth + 1);
    if (safe !== undefined) out[key] = safe;
  }
  return out;
};

/** The scalar fields of a machine context (strings, numbers, booleans, and `failure`-like `{ message }` objects). */
export const contextScalars = (context: unknown): Record<string, TraceValue> | undefined => {
  if (typeof context !== 'object' || context === null) return undefined;
  const out: Record<string, TraceValue> = {};
  for (const [key, v] of Object.entries(context)) {
    if (SECRET_KEYS.has(key)) continue;
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[key] = v;
    else if (typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string') {
      out[key] = toTraceValue(v) ?? null;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
};
