/** Trading domain types, re-exported from the domain (where the machines can import them) for existing callers. */
export type * from '../domain/trading.ts';
