/**
 * TWS socket framing (the "V100+" protocol `@stoqey/ib` speaks): the client opens with `API\0`, a 4-byte
 * big-endian length and a version range `v100..193`; every later message in either direction is a 4-byte
 * big-endian length followed by NUL-terminated text fields. The server's first message carries its version and
 * connection time. Mirrors `core/io/socket.js` of `@stoqey/ib` 1.6.10.
 */

/** One field as the encoder accepts it: booleans travel as 1/0, absent values as empty fields. */
export type Field = string | number | boolean | undefined;

/** What the reader got off the socket. */
export type Incoming =
  | { readonly kind: 'hello'; readonly minVersion: number; readonly maxVersion: number }
  | { readonly kind: 'message'; readonly fields: readonly string[] }
  | { readonly kind: 'garbage'; readonly reason: string };

const API_PREFIX = Buffer.from('API\0', 'latin1');
/** Longest message the client accepts (`MAX_V100_MESSAGE_LENGTH` in the library). */
export const MAX_MESSAGE_LENGTH = 0xffffff;

const fieldText = (value: Field): string =>
  value === undefined ? '' : value === true ? '1' : value === false ? '0' : String(value);

/** Encodes one message: length prefix, then every field followed by a NUL. */
export const encodeMessage = (fields: readonly Field[]): Buffer => {
  const body = Buffer.from(fields.map((f) => `${fieldText(f)}\0`).join(''), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
};

/** Parses the `v100..193` (or `v100`) version range of the client hello. */
export const parseVersionRange = (text: string): { minVersion: number; maxVersion: number } | undefined => {
  const m = /^v(\d+)(?:\.\.(\d+))?/.exec(text);
  if (!m) return undefined;
  const minVersion = Number(m[1]);
  return { minVersion, maxVersion: m[2] === undefined ? minVersion : Number(m[2]) };
};

/** Incremental reader of one client connection: feed chunks, take complete messages. */
export class FrameReader {
  #buffer = Buffer.alloc(0);
  #greeted = false;

  /** Appends a chunk and returns every message completed by it. */
  push(chunk: Buffer): Incoming[] {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    const out: Incoming[] = [];
    for (;;) {
      if (!this.#greeted) {
        if (this.#buffer.length < API_PREFIX.length + 4) return out;
        if (!this.#buffer.subarray(0, API_PREFIX.length).equals(API_PREFIX)) {
          this.#buffer = Buffer.alloc(0);
          out.push({ kind: 'garbage', reason: 'the connection did not start with API\\0' });
          return out;
        }
        const length = this.#buffer.readUInt32BE(API_PREFIX.length);
        const start = API_PREFIX.length + 4;
        if (this.#buffer.length < start + length) return out;
        const range = parseVersionRange(this.#buffer.subarray(start, start + length).toString('utf8'));
        this.#buffer = this.#buffer.subarray(start + length);
        this.#greeted = true;
        out.push(range ? { kind: 'hello', ...range } : { kind: 'garbage', reason: 'no version range in the hello' });
        continue;
      }
      if (this.#buffer.length < 4) return out;
      const length = this.#buffer.readUInt32BE(0);
      if (length > MAX_MESSAGE_LENGTH) {
        this.#buffer = Buffer.alloc(0);
        out.push({ kind: 'garbage', reason: `message length ${length} exceeds ${MAX_MESSAGE_LENGTH}` });
        return out;
      }
      if (this.#buffer.length < 4 + length) return out;
      const text = this.#buffer.subarray(4, 4 + length).toString('utf8');
      this.#buffer = this.#buffer.subarray(4 + length);
      // Fields are NUL-terminated, so the split leaves one empty string after the last field.
      const fields = text.split('\0');
      if (fields[fields.length - 1] === '') fields.pop();
      out.push({ kind: 'message', fields });
    }
  }
}
