/**
 * Loads a session configuration file: YAML in the seed's shape, `${VAR}` expansion from the environment,
 * secrets only from the environment (a literal API key in a file is refused, expanded ones are registered for
 * redaction), `strategy.path` resolved against the file's directory, then `decodeSessionConfig`. Every failure
 * is a CONFIG_INVALID error naming the file, the line and column, the field path and what was expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parse as parseYaml, parseDocument, visit, type Document, type Node, type Pair, type Scalar } from 'yaml';
import { describe, isRealtimeError, realtimeError, type RealtimeError } from '../errors.ts';
import { registerSecret, SECRET_KEYS } from '../secrets.ts';
import { expandEnv, soleReference } from './env.ts';
import { configIssues, type ConfigIssue } from './issues.ts';
import { decodeSessionConfig, type SessionConfig } from './session-config.ts';

/** The environment variables expansion reads. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A problem located in the file. */
export interface LocatedIssue extends ConfigIssue {
  readonly line?: number;
  readonly column?: number;
}

type Segment = string | number;

/** Options of {@link parseConfigText}. */
export interface ParseConfigOptions {
  /** Name used in messages (the path as the user gave it). */
  readonly file: string;
  /** Directory `strategy.path` is relative to. */
  readonly baseDir: string;
  readonly env?: Env;
}

/** Reads, expands and validates a config file; throws a CONFIG_INVALID {@link RealtimeError} naming what is wrong. */
export const loadConfigFile = (path: string, env: Env = process.env): SessionConfig => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : describe(e);
    throw realtimeError('CONFIG_INVALID', `${path}: cannot read the configuration: ${reason}`, { file: path, fields: [] });
  }
  return parseConfigText(text, { file: path, baseDir: dirname(resolve(path)), env });
};

/** Parses config text (see {@link loadConfigFile}). */
export const parseConfigText = (text: string, { file, baseDir, env = process.env }: ParseConfigOptions): SessionConfig => {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const locate = (node: { range?: unknown } | null | undefined): { line?: number; column?: number } => {
    const range = node?.range as [number, number, number] | undefined | null;
    if (!range) return {};
    const { line, col } = lines.linePos(range[0]);
    return { line, column: col };
  };
  const fail = (issues: readonly LocatedIssue[]): never => {
    throw located(file, issues);
  };

  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0];
    fail([{ path: '', message: `YAML syntax error: ${syntax.message}`, ...(pos ? { line: pos.line, column: pos.col } : {}) }]);
  }
  if (doc.contents === null) fail([{ path: '', message: 'the file is empty; expected a mapping with a `session:` section' }]);

  const expansionIssues = expandInPlace(doc, env, locate);
  if (expansionIssues.length > 0) fail(expansionIssues);

  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail([{ path: '', message: 'expected a mapping with a `session:` section (and optionally `strategy:`)', ...locate(doc.contents) }]);
  }
  resolveStrategyPath(raw as Record<string, unknown>, baseDir, (message) => fail([{ path: 'strategy.path', message, ...locate(nodeAt(doc, ['strategy', 'path'])) }]));

  try {
    return decodeSessionConfig(raw, file);
  } catch (e) {
    if (!isRealtimeError(e) || e.code !== 'CONFIG_INVALID') throw e;
    const issues = configIssues(e, raw, file).map(({ key, ...issue }) => ({ ...issue, ...locateField(doc, issue.path, key === true, locate) }));
    // In file order: the top level and the nested sections are checked separately.
    return fail(issues.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0)));
  }
};

/** Builds the error: one line per issue, `file:line:col: path: message`. */
const located = (file: string, issues: readonly LocatedIssue[]): RealtimeError => {
  const line = (i: LocatedIssue) =>
    `${file}${i.line ? `:${i.line}:${i.column ?? 1}` : ''}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
  return realtimeError('CONFIG_INVALID', issues.map(line).join('\n'), {
    file,
    fields: issues.map((i) => i.path).filter(Boolean),
    issues: issues.map((i) => ({ ...i })),
  });
};

/** The dotted path of the node at the end of a `visit` path. */
const pathOf = (ancestors: readonly unknown[], node: unknown): Segment[] => {
  const chain = [...ancestors, node];
  const out: Segment[] = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent) && parent.value === child) out.push(isScalar(parent.key) ? String(parent.key.value) : String(parent.key));
    else if (isSeq(parent)) out.push(parent.items.indexOf(child as Node));
  }
  return out;
};

/**
 * Expands references in every value scalar (keys are left alone) and enforces the secret rule; returns the
 * issues found. An unquoted scalar that is only references is re-read as YAML, so `port: ${IB_PORT}` is a number.
 */
const expandInPlace = (doc: Document, env: Env, locate: (n: Node) => { line?: number; column?: number }): LocatedIssue[] => {
  const issues: LocatedIssue[] = [];
  visit(doc, {
    // `id: &k LITERAL` … `api_key: *k` would carry a literal (or an unregistered expansion) into a secret.
    Alias(key, node, ancestors) {
      if (key === 'key') return;
      const path = pathOf(ancestors, node);
      const name = path.at(-1);
      if (typeof name === 'string' && SECRET_KEYS.has(name)) {
        issues.push({
          path: path.join('.'), ...locate(node),
          message: `a secret cannot come from a YAML alias (*${node.source}); write \`${name}: \${${suggestVar(doc, path)}}\``,
        });
      }
    },
    Scalar(key, node: Scalar, ancestors) {
      if (key === 'key') return;
      const path = pathOf(ancestors, node);
      const name = path.at(-1);
      const secret = typeof name === 'string' && SECRET_KEYS.has(name);
      const where = { path: path.join('.'), ...locate(node) };
      const value = node.value;
      if (secret && value !== null && value !== '' && !(typeof value === 'string' && soleReference(value))) {
        issues.push({
          ...where,
          message: `a secret cannot be written in the file; put it in an environment variable and write \`${name}: \${${suggestVar(doc, path)}}\``,
        });
        return;
      }
      if (typeof value !== 'string' || !value.includes('${')) return;
      const expanded = expandEnv(value, env);
      if (!expanded.ok) {
        issues.push({ ...where, message: `environment variable ${expanded.missing} is not set (referenced as \${${expanded.missing}})` });
        return;
      }
      if (secret) {
        registerSecret(expanded.value);
        node.value = expanded.value;
        return;
      }
      const whole = expanded.references.length > 0 && /^(\$\{[^}]*\})+$/.test(value);
      node.value = whole && node.type === 'PLAIN' ? retype(expanded.value) : expanded.value;
    },
  });
  return issues;
};

/** A plain scalar's text as YAML reads it: numbers and booleans become typed; anything else stays text. */
const retype = (text: string): string | number | boolean => {
  try {
    const v = parseYaml(text) as unknown;
    return typeof v === 'number' || typeof v === 'boolean' ? v : text;
  } catch {
    return text;
  }
};

/** An environment variable name to suggest for a literal secret, e.g. `BINANCE_API_KEY` under a Binance provider. */
const suggestVar = (doc: Document, path: readonly Segment[]): string => {
  const key = String(path.at(-1)).replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  const section = path.length === 3 && path[0] === 'session' ? String(path[1]) : '';
  const provider = section.endsWith('_provider_config') ? doc.getIn(['session', section.replace(/_config$/, '')]) : undefined;
  const prefix = typeof provider === 'string' ? `${provider.split('-')[0]!.toUpperCase().replace(/[^A-Z0-9]/g, '')}_` : '';
  const name = `${prefix}${key}`;
  return /^[A-Z][A-Z0-9_]*$/.test(name) ? name : 'API_KEY';
};

const nodeAt = (doc: Document, path: readonly Segment[]): Node | undefined => {
  const node = doc.getIn(path, true) as Node | Pair | undefined;
  return node && !isPair(node) && typeof node === 'object' ? node : undefined;
};

/**
 * Line and column of a field's value (or of its key, for an unknown key), or of its closest present parent
 * (a missing key is reported at its parent).
 */
const locateField = (doc: Document, dotted: string, atKey: boolean, locate: (n: Node) => { line?: number; column?: number }) => {
  const path: Segment[] = dotted ? dotted.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)) : [];
  if (atKey && path.length > 0) {
    const parent = path.length === 1 ? doc.contents : nodeAt(doc, path.slice(0, -1));
    const pair = isMap(parent) ? parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === path.at(-1)) : undefined;
    if (isScalar(pair?.key)) return locate(pair.key);
  }
  for (let n = path.length; n > 0; n--) {
    const node = nodeAt(doc, path.slice(0, n));
    if (node?.range) return locate(node);
  }
  return {};
};

/** Resolves `strategy.path` against the config file's directory and checks that the module exists. */
const resolveStrategyPath = (raw: Record<string, unknown>, baseDir: string, fail: (message: string) => never): void => {
  const strategy = raw.strategy;
  if (typeof strategy !== 'object' || strategy === null) return;
  const section = strategy as Record<string, unknown>;
  if (typeof section.path !== 'string' || section.path === '') return;
  const absolute = isAbsolute(section.path) ? section.path : resolve(baseDir, section.path);
  if (!existsSync(absolute)) fail(`strategy module not found: ${absolute} (a relative path is resolved against the config file's directory)`);
  section.path = absolute;
};
