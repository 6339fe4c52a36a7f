/**
 * The strategy thread's scheduling priority. On a machine with fewer free cores than busy threads, a strategy
 * that keeps its thread busy (a flood of orders or log lines, a busy wait) takes CPU time from the host's main
 * thread, which ingests and persists: issue #14 asks that the host keep its pace whatever the strategy does.
 * A worker thread lowers its own nice value before it loads the strategy, so the kernel serves the host first
 * whenever both want a core, and an idle host leaves the strategy the whole core. Without CAP_SYS_NICE a thread
 * cannot raise its priority back, so a trusted strategy cannot undo it either (run as root, it could).
 */
import os from 'node:os';

/** Default nice value of a strategy thread (0 = the host's own priority, 19 = the lowest). */
export const DEFAULT_STRATEGY_NICE = 10;

/**
 * Lowers the calling thread's priority to `nice`; true when it took effect. Only on Linux, where a thread's
 * nice value is its own (`setpriority(PRIO_PROCESS, 0)` names the calling thread): elsewhere the same call
 * would lower the whole process, host included, so nothing is done.
 */
export const lowerThreadPriority = (nice: number): boolean => {
  if (process.platform !== 'linux' || !Number.isInteger(nice) || nice <= 0) return false;
  try {
    os.setPriority(0, Math.min(19, nice));
    return true;
  } catch {
    // A container may forbid it (seccomp); the strategy then runs at the host's priority, as before.
    return false;
  }
};
