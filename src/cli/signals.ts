/**
 * SIGINT / SIGTERM handling for long-running commands: the first signal asks for a graceful stop, the second
 * forces the exit (after the caller flushed what it could). Handlers are removed when the command ends.
 */

/** What to do on the first and on the second signal. */
export interface StopSignalHandlers {
  graceful(signal: NodeJS.Signals): void;
  force(signal: NodeJS.Signals): void;
}

/** Installs the handlers; returns a function that removes them. */
export const onStopSignals = (handlers: StopSignalHandlers): (() => void) => {
  let received = 0;
  const handle = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) handlers.graceful(signal);
    else if (received === 2) handlers.force(signal);
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  return () => {
    process.off('SIGINT', handle);
    process.off('SIGTERM', handle);
  };
};
