/**
 * Status names and their one order, for the store's schemas, the tree's status filter, the
 * timeline's binary columns (a span status travels as its index here) and the CLI.
 *
 * RUNNING while its process (or attached trace) goes on; SUCCESS, PARTIAL (exit 0 but steps
 * failed) or FAILED when it ends; CANCELLED when the user stopped it; INCOMPLETE when the
 * process recording it died without ending it (its reason in `runlens.incomplete_reason`).
 */
export const RUN_STATUSES = ['RUNNING', 'SUCCESS', 'PARTIAL', 'FAILED', 'CANCELLED', 'INCOMPLETE'] as const;
export const SPAN_STATUSES = ['OK', 'ERROR', 'RUNNING', 'INCOMPLETE'] as const;

export type RunStatusName = (typeof RUN_STATUSES)[number];
export type SpanStatusName = (typeof SPAN_STATUSES)[number];

/** A span status's code: its index in SPAN_STATUSES (what the timeline's status column holds). */
export const SPAN_STATUS_CODE = Object.freeze(Object.fromEntries(SPAN_STATUSES.map((s, i) => [s, i])) as Record<SpanStatusName, number>);
