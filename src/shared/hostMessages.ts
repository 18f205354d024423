/**
 * Host → webview messages (src/shared/protocol.ts): their union, and the webview's
 * hand-written check of each (the webview bundle carries no zod; the reference schemas the
 * checks are fuzzed against are in src/extension/timeline/schemas.ts).
 */
import {
  arrayOf,
  at,
  bool,
  int,
  isRecord,
  nat,
  nonNeg,
  nullable,
  num,
  object,
  oneOf,
  optional,
  record,
  str,
  type Check,
  type ParseResult,
} from './check';
import { signalsCheck, spanLogsCheck, type SignalsView } from './signalViews';
import { spanColumnsError, type SpanColumns } from './spanColumns';
import { RUN_STATUSES } from './status';
import { DIVERGENCE_VALUES, isAttrJson, type CompareView, type RunChoiceView, type RunView, type SpanDetailView } from './timelineViews';

export type HostMessage =
  | {
      type: 'init';
      run: RunView;
      /** The first screenful, in display order; `pending` more follow in `spansLoaded` messages. */
      spans: SpanColumns;
      /** Spans of the run still to come after this message (0: this is all of it). */
      pending?: number;
      /** Ms since run start at the moment the host sent this (drives RUNNING bars). */
      asOfMs: number;
      selectSpanId?: string | null;
      compare?: CompareView | null;
      candidates?: RunChoiceView[];
    }
  /** The next part of the run `init` started to send; `pending` spans still to come after it. */
  | { type: 'spansLoaded'; spans: SpanColumns; pending: number }
  /** Batched live update: spans upserted since the last message, and the run as it is now. */
  | { type: 'spansUpdated'; run: RunView; spans: SpanColumns; asOfMs: number }
  | { type: 'runUpdated'; run: RunView; asOfMs: number }
  /** A comparison to show, or null to leave compare mode. */
  | { type: 'compareData'; compare: CompareView | null }
  | { type: 'candidates'; runs: RunChoiceView[] }
  /** The host asks the webview to select and reveal a span (CodeLens, tree). */
  | { type: 'selectSpan'; spanId: string }
  /** Answer to the webview's getSpanDetail: null when the span is not (or no longer) there. */
  | { type: 'spanDetail'; runId: string; spanId: string; detail: SpanDetailView | null }
  /** The run's log marks and metric series: after `init`, and again when they change. */
  | { type: 'signals'; runId: string; signals: SignalsView }
  /** The run is gone (deleted, cleared, or never existed). */
  | { type: 'runMissing'; runId: string; message: string };

// ---------------------------------------------------------------------------------------
// Hand-written checks of what the webview receives (combinators: check.ts).

const columns: Check = (v, p) => {
  const e = spanColumnsError(v);
  if (e === null) return null;
  const i = e.lastIndexOf(' at ');
  return i < 0 ? `${e}${at(p)}` : `${e.slice(0, i)} at ${p}.${e.slice(i + 4)}`;
};
const attributes: Check = (v, p) => (isRecord(v) && isAttrJson(v) ? null : `attributes must be a JSON object${at(p)}`);

const runView = object({
  id: str(1),
  name: str(),
  status: oneOf(RUN_STATUSES),
  startEpochMs: num,
  durationMs: nullable(nonNeg),
  exitCode: nullable(int),
  signal: nullable(str()),
  workflow: nullable(str()),
  gitCommit: nullable(str()),
  command: nullable(arrayOf(str())),
  spanCount: nat,
  errorCount: nat,
  errorSummary: nullable(str()),
});
const runChoice = object({ id: str(1), name: str(), status: oneOf(RUN_STATUSES), startEpochMs: num, durationMs: nullable(nonNeg) });
const sourceView = object({ file: str(1), line: nat, column: optional(nat) });
const detailView = object({
  attributes,
  events: arrayOf(object({ name: str(), offsetMs: num, attributes })),
  truncated: record(nat),
  source: nullable(sourceView),
  logs: optional(spanLogsCheck),
});
const compareView = object({
  other: runView,
  otherSpans: columns,
  rows: arrayOf(
    object({
      key: str(1),
      depth: nat,
      name: str(),
      aId: nullable(str()),
      bId: nullable(str()),
      statusChanged: bool,
      deltaMs: nullable(num),
      ratio: nullable(num),
      attrDiffs: arrayOf(object({ key: str(), a: nullable(str()), b: nullable(str()) })),
      divergence: nullable(oneOf(DIVERGENCE_VALUES)),
    }),
  ),
  firstDivergence: nullable(nat),
  summary: object({ onlyA: nat, onlyB: nat, statusChanged: nat, attributesChanged: nat, durationDeltaMs: nullable(num) }),
});

const HOST_MESSAGES: Record<HostMessage['type'], Check> = {
  init: object({
    run: runView,
    spans: columns,
    pending: optional(nat),
    asOfMs: num,
    selectSpanId: optional(nullable(str())),
    compare: optional(nullable(compareView)),
    candidates: optional(arrayOf(runChoice)),
  }),
  spansLoaded: object({ spans: columns, pending: nat }),
  spansUpdated: object({ run: runView, spans: columns, asOfMs: num }),
  runUpdated: object({ run: runView, asOfMs: num }),
  compareData: object({ compare: nullable(compareView) }),
  candidates: object({ runs: arrayOf(runChoice) }),
  selectSpan: object({ spanId: str(1) }),
  spanDetail: object({ runId: str(1), spanId: str(1), detail: nullable(detailView) }),
  signals: object({ runId: str(1), signals: signalsCheck }),
  runMissing: object({ runId: str(), message: str() }),
};

/**
 * Validate a message the webview received from the host (untrusted: it carries trace data).
 * Returns the message itself (no copy) when every field the webview reads is valid.
 */
export function parseHostMessage(data: unknown): ParseResult<HostMessage> {
  if (!isRecord(data)) return { ok: false, error: 'a message must be an object' };
  const type = data.type;
  const check =
    typeof type === 'string' && Object.prototype.hasOwnProperty.call(HOST_MESSAGES, type)
      ? HOST_MESSAGES[type as HostMessage['type']]
      : undefined;
  if (!check) return { ok: false, error: 'unknown message type at type' };
  const error = check(data, '');
  return error === null ? { ok: true, message: data as unknown as HostMessage } : { ok: false, error };
}
