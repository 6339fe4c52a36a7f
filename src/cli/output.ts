/**
 * The CLI's only way to print: every line passes through `redact`, so a registered secret (an API key expanded
 * from the environment) or a signed URL parameter never reaches the terminal or a log file.
 */
import type { Writable } from 'node:stream';
import pc from 'picocolors';
import { describe, isRealtimeError } from '../error-guards.ts';
import { redact } from '../secrets.ts';

/** Where and how the CLI writes. */
export interface Output {
  /** A line on stdout. */
  line(text?: string): void;
  /** A line on stderr. */
  error(text: string): void;
  /** Raw text on stdout (status redraws); redacted too. */
  raw(text: string): void;
  /** True when stdout is a terminal: live status redraws in place, otherwise plain log lines. */
  readonly isTTY: boolean;
  /** Terminal width in columns (80 when unknown). */
  columns(): number;
}

/** An {@link Output} over two streams (process stdout and stderr by default). */
export const createOutput = (
  stdout: Writable & { isTTY?: boolean; columns?: number } = process.stdout,
  stderr: Writable = process.stderr,
): Output => ({
  line: (text = '') => void stdout.write(`${redact(text)}\n`),
  error: (text) => void stderr.write(`${redact(text)}\n`),
  raw: (text) => void stdout.write(redact(text)),
  isTTY: stdout.isTTY === true,
  columns: () => stdout.columns ?? 80,
});

/** Prints an error the way every command does: code and message, then a hint when one helps. */
export const printError = (out: Output, error: unknown): void => {
  if (isRealtimeError(error)) {
    const [first, ...rest] = error.message.split('\n');
    const many = rest.length > 0;
    out.error(`${pc.red(pc.bold('error'))} ${pc.dim(error.code)} ${many ? '' : first}`.trimEnd());
    if (many) for (const l of [first, ...rest]) out.error(`  ${l}`);
    const hint = hintFor(error.code, error.data?.source);
    if (hint) out.error(pc.dim(`  ${hint}`));
    return;
  }
  out.error(`${pc.red(pc.bold('error'))} ${describe(error)}`);
};

// The section to check depends on which component failed: the session reports it as `data.source`.
const HINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  CONFIG_INVALID: { any: 'See docs/configuration.md, or `argo-realtime schema` for a JSON Schema your editor can check against.' },
  AUTHENTICATION_FAILED: {
    trading: 'Check the API key and secret in trading_provider_config (the environment variables it references).',
    any: 'Check the API key in realtime_provider_config (the environment variables it references).',
  },
  CONNECTION_FAILED: {
    trading: 'Check that the trading venue is reachable: host / port or rest_url in trading_provider_config.',
    any: 'Check the network, or the ws_url / rest_url overrides in realtime_provider_config.',
  },
  WRITE_FAILED: { any: 'Check storage_config.output_path: its directory must be writable and have free space.' },
};

/** The hint for an error code, for the component that failed (`marketData`, `trading`, `writer`, ...). */
export const hintFor = (code: string, source?: unknown): string | undefined => {
  const hints = HINTS[code];
  return hints ? ((typeof source === 'string' ? hints[source] : undefined) ?? hints.any) : undefined;
};
