/** What the simulators' command lines share: `--start-time` parsing and the start / print / stop-on-signal loop. */

/** Parses `--start-time`: Unix milliseconds or an ISO date. */
export const parseStartTime = (raw: string): number => {
  const time = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(time)) throw new Error(`--start-time expects ms or an ISO date, got ${raw}`);
  return time;
};

/**
 * Parses argv (exit code 2 and the message on a bad flag), starts the simulator, prints one JSON line describing
 * it, and closes it on SIGINT / SIGTERM.
 */
export const serveSimulator = async <O, S extends { close(): Promise<void> }>(
  parse: (argv: string[]) => O, start: (options: O) => Promise<S>, describe: (sim: S) => object,
): Promise<void> => {
  let options: O;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const sim = await start(options);
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  // Listen before printing: a parent may signal as soon as it has read the line.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.write(`${JSON.stringify(describe(sim))}\n`);
};
