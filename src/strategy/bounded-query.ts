/**
 * Runs a prepared, guarded SELECT with bounds on what it may cost the host: at most `maxRows` rows and about
 * `maxBytes` of converted values (the result is streamed from DuckDB chunk by chunk, with DuckDB at most one
 * chunk ahead ({@link STREAM_BUFFER}), and converted one row at a time, so a huge result is refused after one
 * chunk, not materialised first), and at most `timeoutMs` of running time (then the connection is interrupted).
 * Shared by the strategies' `executeSQL` and the `query` command.
 */
import { DuckDBTypeId, JSDuckDBValueConverter, type DuckDBConnection, type DuckDBDataChunk, type DuckDBPreparedStatement, type DuckDBValue, type JS } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { endianness } from 'node:os';
import { ReadOnlyQueryError } from './errors.ts';

/** Bounds of one query. */
export interface QueryBounds {
  /** Most rows returned; more is an error, not a silent cut. */
  readonly maxRows: number;
  /** Most bytes of result values (strings and blobs by length, other cells 8 bytes each). */
  readonly maxBytes: number;
  /** Longest running time before the query is interrupted (ms). */
  readonly timeoutMs: number;
  /** Added to the `too_many_rows` / `too_large` messages (how to get a smaller result). */
  readonly hint?: string;
  /** Cells as JS values (default) or as DuckDB values, whose `String()` is DuckDB's own text form. */
  readonly cells?: 'js' | 'duckdb';
}

/** A bounded result: column names and type ids, and rows of JS values. */
export interface BoundedResult<Cell = JS> {
  readonly columns: readonly string[];
  readonly typeIds: readonly DuckDBTypeId[];
  readonly rows: readonly Cell[][];
}

/** An estimate of the bytes one JS value holds (strings by their length, containers by their items). */
export const valueBytes = (v: JS): number => {
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.byteLength;
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + valueBytes(x), 8);
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    return Object.entries(v).reduce<number>((n, [k, x]) => n + k.length + valueBytes(x as JS), 8);
  }
  return 8;
};

// A VARCHAR or BLOB cell of a flat vector is a 16-byte header whose first 4 bytes are its length in bytes.
const STRING_HEADER = 16;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The fewest bytes the cells of `chunk` can count for: its top-level VARCHAR and BLOB cells read from their headers
 * without copying a string (b UTF-8 bytes are at least b/3 UTF-16 units, a blob is b bytes or more in either cell
 * form, a NULL counts 8), other cells nothing. A chunk already over the byte cap is refused before any conversion.
 */
export const chunkFloorBytes = (chunk: DuckDBDataChunk, typeIds: readonly DuckDBTypeId[]): number => {
  const rows = chunk.rowCount;
  let floor = 0;
  for (const [column, typeId] of typeIds.entries()) {
    if (typeId !== DuckDBTypeId.VARCHAR && typeId !== DuckDBTypeId.BLOB) continue;
    const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
    const data = duckdb.vector_get_data(vector, rows * STRING_HEADER);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    // No validity mask (null at run time despite the type) means no NULL in the vector.
    const validity = duckdb.vector_get_validity(vector, Math.ceil(rows / 64) * 8) as Uint8Array | null;
    const perByte = typeId === DuckDBTypeId.VARCHAR ? 1 / 3 : 1;
    for (let r = 0; r < rows; r++) {
      floor += validity && !duckdb.validity_row_is_valid(validity, r) ? 8 : view.getUint32(r * STRING_HEADER, LITTLE_ENDIAN) * perByte;
    }
  }
  return floor;
};

/**
 * DuckDB's read-ahead of a streaming result, per connection (a LOCAL setting, so the writer's connections keep
 * theirs). DuckDB counts a chunk's vectors against this buffer but not its string heap: at the default
 * (976.5 KiB) a result of 100 KB strings had about 30 chunks of 2,048 rows (6 GB) computed before the first
 * `fetchChunk`, which took seconds of both cores and stalled the whole process in page faults. A buffer smaller
 * than any chunk keeps DuckDB one chunk ahead of the reader, so a result over the caps costs one chunk.
 */
export const STREAM_BUFFER = '1KiB';

const buffered = new WeakSet<DuckDBConnection>();

/** Sets {@link STREAM_BUFFER} on `connection` once; SET is allowed inside a read-only transaction. */
const limitReadAhead = async (connection: DuckDBConnection): Promise<void> => {
  if (buffered.has(connection)) return;
  await connection.run(`SET streaming_buffer_size = '${STREAM_BUFFER}'`);
  buffered.add(connection);
};

/** Streams `prepared` under `bounds`; throws a {@link ReadOnlyQueryError} (`too_many_rows`, `too_large`, `timeout`). */
export async function runBounded(connection: DuckDBConnection, prepared: DuckDBPreparedStatement, bounds: QueryBounds & { cells: 'duckdb' }): Promise<BoundedResult<DuckDBValue>>;
export async function runBounded(connection: DuckDBConnection, prepared: DuckDBPreparedStatement, bounds: QueryBounds): Promise<BoundedResult>;
export async function runBounded(connection: DuckDBConnection, prepared: DuckDBPreparedStatement, bounds: QueryBounds): Promise<BoundedResult<JS | DuckDBValue>> {
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; connection.interrupt(); }, bounds.timeoutMs);
  const hint = bounds.hint ? `; ${bounds.hint}` : '';
  const tooLarge = () => new ReadOnlyQueryError({ reason: 'too_large', message: `the result is larger than ${bounds.maxBytes} bytes${hint}` });
  try {
    await limitReadAhead(connection);
    const result = await prepared.stream();
    const columns = result.columnNames();
    const typeIds = columns.map((_, i) => result.columnTypeId(i));
    const rows: (JS | DuckDBValue)[][] = [];
    const raw = bounds.cells === 'duckdb';
    let bytes = 0;
    // Each `fetchChunk` is a turn of the event loop: ingestion runs between chunks, and a chunk is at most 2,048 rows.
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      // The row cap is checked per chunk, before any of its cells is converted.
      if (rows.length + chunk.rowCount > bounds.maxRows) {
        throw new ReadOnlyQueryError({ reason: 'too_many_rows', message: `the result has more than ${bounds.maxRows} rows${hint}` });
      }
      if (bytes + chunkFloorBytes(chunk, typeIds) > bounds.maxBytes) throw tooLarge();
      for (let r = 0; r < chunk.rowCount; r++) {
        const row = raw ? chunk.getRowValues(r) : (chunk.convertRowValues(r, JSDuckDBValueConverter) as JS[]);
        bytes += raw
          ? row.reduce<number>((n, v) => n + (v === null ? 8 : String(v).length), 0)
          : row.reduce<number>((n, v) => n + valueBytes(v as JS), 0);
        if (bytes > bounds.maxBytes) throw tooLarge();
        rows.push(row);
      }
    }
    return { columns, typeIds, rows };
  } catch (e) {
    if (timedOut) throw new ReadOnlyQueryError({ reason: 'timeout', message: `the query was interrupted after ${bounds.timeoutMs} ms` });
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
