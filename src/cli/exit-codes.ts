/** Exit codes of the CLI, documented in docs/configuration.md. */
export const EXIT = {
  ok: 0,
  failure: 1,
  config: 2,
  auth: 3,
  connection: 4,
} as const;
