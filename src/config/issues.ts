/**
 * Turns a CONFIG_INVALID error from the schema decoders into located issues: the full field path
 * (`session.realtime_provider_config.reconnect_attempts`), what was expected, what was found, and the line and
 * column in the YAML file. The decoders report paths as `at ["session"]["interval"]` inside their messages;
 * this module reads them back so the CLI can print one issue per line.
 */
import type { RealtimeError } from '../errors.ts';

/** One problem with one field. */
export interface ConfigIssue {
  /** Dotted field path, e.g. `session.symbols.0`. */
  readonly path: string;
  /** What is wrong: what was expected, and what was found when it helps. */
  readonly message: string;
  /** True when the key itself is wrong (unknown), so the key is what to point at. */
  readonly key?: boolean;
}

type Segment = string | number;

/** `Expected … at ["a"]["b"][0]`, one decoder issue; the path may be followed by another issue. */
const ISSUE = /(.+?) at ((?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])+)(?= |$)/g;
const SEGMENT = /\[("(?:[^"\\]|\\.)*"|\d+)\]/g;

const segmentsOf = (brackets: string): Segment[] =>
  [...brackets.matchAll(SEGMENT)].map((m) => (m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : Number(m[1])));

/** Reads the value at `path` in a plain object tree. */
export const valueAt = (root: unknown, path: readonly Segment[]): { found: boolean; value?: unknown } => {
  let node: unknown = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !(key in node)) return { found: false };
    node = (node as Record<string | number, unknown>)[key];
  }
  return { found: true, value: node };
};

const shown = (value: unknown): string => {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

const phrase = (text: string, got: { found: boolean; value?: unknown }): string => {
  const t = text.trim();
  if (t === 'Missing key') return 'is required but missing';
  if (t === 'Expected no excess property') return 'is not a known key (check the spelling; unknown keys are refused)';
  // Custom checks word their expectation as a noun phrase ("a ws:// or wss:// URL").
  const expected = /^(a|an) /.test(t) ? `expected ${t}` : t.replace(/^Expected /, 'expected ');
  return got.found ? `${expected}, got ${shown(got.value)}` : expected;
};

/** The nested sections decoded by their own schemas; their errors carry paths relative to the section. */
const SECTIONS = ['session.realtime_provider_config', 'session.trading_provider_config', 'session.storage_config'];

/**
 * Splits a CONFIG_INVALID error of `decodeSessionConfig(raw, where)` into issues with full paths. `raw` is
 * the decoded input, used to show the value found.
 */
export const configIssues = (error: Pick<RealtimeError, 'message' | 'data'>, raw: unknown, where: string): ConfigIssue[] => {
  // Several errors in one (top level and nested sections, see decodeSessionConfig): each part on its own.
  const parts = error.data?.parts as readonly Pick<RealtimeError, 'message' | 'data'>[] | undefined;
  if (Array.isArray(parts)) return parts.flatMap((part) => configIssues(part, raw, where));
  const fields = (error.data?.fields as string[] | undefined) ?? [];
  let base: Segment[] = [];
  let detail = error.message;
  if (detail.startsWith(`${where}: `)) {
    detail = detail.slice(where.length + 2);
  } else {
    const section = SECTIONS.find((s) => fields.some((f) => f === s || f.startsWith(`${s}.`)));
    if (section) base = section.split('.');
    // Nested messages read `<full paths>: <decoder name>: <detail>`; keep the detail.
    const inner = typeof error.data?.where === 'string' ? `${error.data.where}: ` : undefined;
    const at = inner ? detail.indexOf(inner) : -1;
    if (at >= 0) detail = detail.slice(at + inner!.length);
    else detail = detail.replace(/^[^:]*: (writer config: )?/, '');
  }
  const issues: ConfigIssue[] = [];
  for (const m of detail.matchAll(ISSUE)) {
    const path = [...base, ...segmentsOf(m[2]!)];
    const key = m[1]!.trim() === 'Expected no excess property';
    issues.push({ path: path.join('.'), message: phrase(m[1]!, valueAt(raw, path)), ...(key ? { key } : {}) });
  }
  if (issues.length > 0) return issues;
  // A check across fields (e.g. an unknown provider name): the decoder names the field, the message says why.
  const path = fields[0] ?? base.join('.');
  const message = detail.startsWith(`${path}: `) ? detail.slice(path.length + 2) : detail;
  return [{ path, message }];
};
