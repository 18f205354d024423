/** Webview → host messages (src/shared/protocol.ts; the host checks them with zod: src/extension/timeline/schemas.ts). */

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'selectSpan'; spanId: string | null }
  | { type: 'openSource'; file: string; line: number; column?: number }
  /** Open the span's resolved source; runId names the compared run for its spans (default: this run). */
  | { type: 'goToSource'; spanId: string; runId?: string }
  /** Ask for a span's attributes, events, source and log records at or above minSeverity (runId: the compared run's span; default this run). */
  | { type: 'getSpanDetail'; spanId: string; runId?: string; minSeverity?: number }
  /** Compare with a run: the given one, or ask the user (QuickPick) when runId is absent. */
  | { type: 'pickCompareRun'; runId?: string }
  | { type: 'clearCompare' }
  | { type: 'copy'; text: string }
  /** An uncaught error inside the webview, for the host's log. */
  | { type: 'reportError'; message: string };

/** The state the webview persists with setState and the panel serializer restores. */
export interface TimelineState {
  runId: string;
  selectedSpanId?: string | null;
  compareRunId?: string | null;
}
