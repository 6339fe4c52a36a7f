/**
 * The reader of the project's trace format (written by `createTraceWriter`, documented in
 * docs/observability.md): JSON lines, each a {@link TraceLine} checked against one schema. `readTrace` streams a
 * file line by line, so a large trace never sits in memory, and skips (and counts) lines that are not trace
 * records, so a trace cut short by a crash still reads. `trace summarize` is built on it.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import * as Option from 'effect/Option';
import * as Schema from 'effect/Schema';
import type { TraceLine } from './trace-writer.ts';

/** Version of the trace format this reader reads; bumped when a line's shape changes incompatibly. */
export const TRACE_FORMAT_VERSION = 1;

const t = Schema.Number;
const actor = Schema.String;
/** One schema per line kind; `event`, `data` and `ctx` values are JSON as the writer's `toTraceValue` made them. */
export const TraceLineSchema = Schema.Union([
  Schema.Struct({ t, kind: Schema.Literal('actor'), actor, parent: Schema.optionalKey(Schema.String), systemId: Schema.optionalKey(Schema.String), system: Schema.Number }),
  Schema.Struct({ t, kind: Schema.Literal('event'), actor, source: Schema.optionalKey(Schema.String), event: Schema.Json }),
  Schema.Struct({
    t, kind: Schema.Literal('snapshot'), actor, event: Schema.String, state: Schema.optionalKey(Schema.String), status: Schema.String,
    ctx: Schema.optionalKey(Schema.Record(Schema.String, Schema.Json)),
  }),
  Schema.Struct({ t, kind: Schema.Literal('fact'), actor, fact: Schema.String, data: Schema.Json }),
]);

const decode = Schema.decodeUnknownOption(TraceLineSchema);

/** Parses one line of a trace file; `undefined` for anything that is not a trace record. */
export const parseTraceLine = (text: string): TraceLine | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  // The schema checks the shape; its JSON values are exactly the writer's TraceValue.
  return Option.getOrUndefined(decode(json)) as TraceLine | undefined;
};

/** Options of {@link readTrace}. */
export interface ReadTraceOptions {
  /** Called for each non-empty line that is not a trace record, with its 1-based line number. */
  readonly onMalformed?: (lineNumber: number, text: string) => void;
}

/** Streams the records of a trace file in order; malformed lines are skipped (see `onMalformed`). */
export async function* readTrace(path: string, options: ReadTraceOptions = {}): AsyncGenerator<TraceLine> {
  const input = createReadStream(path, { encoding: 'utf8' });
  let n = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    n++;
    if (text.trim() === '') continue;
    const line = parseTraceLine(text);
    if (line) yield line;
    else options.onMalformed?.(n, text);
  }
}
