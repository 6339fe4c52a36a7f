/**
 * Why some states and transitions are never reached by a run against the real system, by machine and key (the
 * keys of `graph.ts`). The coverage check fails on anything unreached that is not listed here, and on a reason
 * listed for something that was reached, so the list cannot drift from the code.
 */
export const UNREACHABLE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
};
