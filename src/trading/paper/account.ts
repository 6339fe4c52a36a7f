/** The paper account's pure bookkeeping, re-exported from `machines/lib/paper-account.ts` for existing callers. */
export * from '../../../machines/lib/paper-account.ts';
