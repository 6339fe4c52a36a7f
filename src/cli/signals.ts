/**
 * SIGINT / SIGTERM handling for long-running commands: the first signal asks for a graceful stop, the second
 * forces the exit (after the caller flushed what it could). SIGUSR2 trips the risk engine's kill switch.
 * Handlers are removed when the command ends.
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

/** The signal that trips the kill switch of a running session (`kill -USR2 <pid>`). */
export const KILL_SIGNAL = 'SIGUSR2';

/** Calls `kill` on every SIGUSR2; returns a function that removes the handler. */
export const onKillSignal = (kill: (signal: NodeJS.Signals) => void): (() => void) => {
  const handle = (signal: NodeJS.Signals) => kill(signal);
  process.on(KILL_SIGNAL, handle);
  return () => { process.off(KILL_SIGNAL, handle); };
};
