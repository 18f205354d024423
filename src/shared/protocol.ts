/**
 * The timeline host ↔ webview message protocol: discriminated unions on `type` in both
 * directions. This module is the protocol's one entry point; its parts:
 *  - timelineViews.ts — the view models (run, span, span detail, comparison);
 *  - signalViews.ts — a run's logs and metrics as the timeline shows them, and their checks;
 *  - spanColumns.ts — spans on the wire as binary columns, their encoding, check, decoding;
 *  - hostMessages.ts — host → webview messages and the webview's check of them;
 *  - webviewMessages.ts — webview → host messages and the state the panel restores;
 *  - check.ts — the building blocks of the hand-written checks.
 *
 * All of it is bundled into the browser webview and sits on its first-paint path, so it
 * imports nothing: no zod (188 KB of the bundle, ~40 ms of parse and schema construction
 * before the first row could paint). What the webview receives is checked by hand
 * (parseHostMessage: bounds, lengths, indices, every field's type); the zod schemas the
 * host validates webview messages with, and the reference schemas these checks are fuzzed
 * against, are in src/extension/timeline/schemas.ts.
 *
 * Times are milliseconds as floats; span times are offsets from the run's start. Spans
 * travel as binary columns (typed arrays, which VS Code's webview postMessage transfers as
 * ArrayBuffers) plus one string table.
 */

export type { ParseResult } from './check';
export type {
  AttrJson,
  CompareRowView,
  CompareView,
  RunChoiceView,
  RunView,
  SourceView,
  SpanCore,
  SpanDetailView,
  SpanView,
} from './timelineViews';
export { spanDetailOf } from './timelineViews';
export {
  DEFAULT_LOG_SEVERITY,
  LOG_LEVELS,
  severityName,
  type LogView,
  type MetricSeriesView,
  type SignalsView,
  type SpanLogsView,
} from './signalViews';
export { decodeSpans, encodeSpans, isSpanColumns, spanIdsOf, type SpanColumns } from './spanColumns';
export { parseHostMessage, type HostMessage } from './hostMessages';
export type { TimelineState, WebviewMessage } from './webviewMessages';
