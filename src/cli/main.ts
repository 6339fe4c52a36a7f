#!/usr/bin/env node
/**
 * The `argo-realtime` command line. Commands are thin: each parses its options (commander) and calls the
 * library, so that everything the CLI does is also available programmatically.
 */
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.ts';
import { EXIT } from './exit-codes.ts';

const seconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
};

const program = new Command('argo-realtime')
  .description('Realtime market data into DuckDB, and realtime trading sessions, as an XState actor system')
  .showHelpAfterError();

program
  .command('demo')
  .description('offline demo: a Binance simulator on loopback with a few faults, streamed through the provider')
  .option('--duration <s>', 'how long to run, in seconds', seconds, 20)
  .option('--seed <n>', 'simulator seed', (v) => Number.parseInt(v, 10), 42)
  .action(async (opts: { duration: number; seed: number }) => {
    process.exitCode = await runDemo({ durationS: opts.duration, seed: opts.seed, out: process.stdout });
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`argo-realtime: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = EXIT.failure;
});
