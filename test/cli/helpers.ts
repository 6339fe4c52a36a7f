/** Runs the CLI as a child process (`process.execPath` is Node 24 under vitest), as a user would. */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';

/** What a finished CLI run printed and returned. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link startCli}. */
export interface CliOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** A running CLI child with its output collected so far. */
export interface CliChild {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  stderr(): string;
  /** Resolves when the output contains `pattern` (rejects after `timeoutMs`, or when the child exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when the output (stdout and stderr) grew past `length` characters (rejects as `waitFor` does). */
  waitForOutput(length: number, timeoutMs?: number): Promise<void>;
  /** Resolves when the child exited. */
  exited(): Promise<CliResult>;
}

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** Starts `argo-realtime <args>` with a clean colour-free environment plus `env`. */
export const startCli = (args: readonly string[], { env = {}, cwd }: CliOptions = {}): CliChild => {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stdout: out, stderr: err }));
  /** Resolves once `check()` holds, tested on every chunk of output; rejects on the deadline or when the child exits first. */
  const until = (check: () => boolean, what: string, timeoutMs: number) => new Promise<void>((resolve, reject) => {
    if (check()) return resolve();
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${what}; output:\n${out}\n${err}`)); }, timeoutMs);
    const onData = () => { if (check()) { cleanup(); resolve(); } };
    const onExit = () => { cleanup(); if (check()) resolve(); else reject(new Error(`exited before ${what}; output:\n${out}\n${err}`)); };
    const cleanup = () => { clearTimeout(timer); child.stdout.off('data', onData); child.stderr.off('data', onData); child.off('exit', onExit); };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', onExit);
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: (pattern, timeoutMs = 20_000) => until(() => pattern.test(out + err), `${pattern}`, timeoutMs),
    waitForOutput: (length, timeoutMs = 20_000) => until(() => out.length + err.length > length, `output past ${length} characters`, timeoutMs),
    exited: () => exit,
  };
};

/** Runs `argo-realtime <args>` to its end. */
export const runCli = (args: readonly string[], options: CliOptions = {}): Promise<CliResult> => startCli(args, options).exited();
