/** Schema helpers for configuration, re-exported from `src/schema/schema-tools.ts` for existing callers. */
export * from '../schema/schema-tools.ts';
