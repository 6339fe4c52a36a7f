/**
 * `promtool check metrics` (Prometheus' own exposition parser and linter, Debian package `prometheus`) over a
 * scrape. Where promtool is not installed the check is skipped, except in CI (`CI=true`), where `.ci/run`
 * installs it and a missing promtool fails the test instead of skipping silently.
 */
import { spawnSync } from 'node:child_process';

/** True when `promtool` runs here; throws in CI when it does not. */
export const hasPromtool = (): boolean => {
  const ok = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!ok && process.env.CI === 'true') throw new Error('promtool is not installed (.ci/run installs the Debian package prometheus)');
  return ok;
};

/** Runs `promtool check metrics` on `text`; `problems` is what it printed (empty when the scrape is clean). */
export const promtoolCheck = (text: string): { readonly status: number | null; readonly problems: string } => {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, problems: `${r.stdout}${r.stderr}`.trim() };
};
