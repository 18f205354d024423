/**
 * What each host message does to the model, the view state and the work left for the next
 * frame (a selection waiting for its span, the first divergence to select, a scroll
 * position to restore). Messages are validated before they get here (main.ts).
 */
import { decodeSpans, spanIdsOf, type HostMessage, type RunChoiceView, type SpanCore, type WebviewMessage } from '../src/shared/protocol';
import type { Side, TimelineModel } from './model';
import type { Action } from './state';
import type { PersistedState } from './vscode';

/** Work the next frame does once the rows it needs are there. */
export interface Pending {
  /** A span to select (and reveal, and open the detail of) when it has arrived. */
  select: { id: string; center: boolean; open?: boolean } | null;
  /** Select the comparison's first divergence. */
  divergence: boolean;
  /** A saved scroll position to restore once the whole run is here. */
  restoreScroll: number | null;
  /** Spans the host has still to send after `init` (streamed in chunks). */
  spans: number;
  /** The baseline the comparison was last with. */
  compareId: string | null;
}

export interface Inbox {
  readonly model: TimelineModel;
  readonly pending: Pending;
  /** Whether `init` (or `runMissing`) has come. */
  initialised: boolean;
  /** The scroll position the panel was saved with. */
  readonly savedScrollTop: number;
  saved(): PersistedState;
  dispatch(a: Action): void;
  /** The model changed: rebuild it in the next frame. */
  dataChanged(): void;
  selectedSpanId(): string | null;
  showCandidates(runs: RunChoiceView[]): void;
  scrollTo(px: number): void;
  revealRowId(rowId: string, center: boolean, open: boolean, quiet?: boolean): void;
  selectFirstDivergence(focus: boolean): void;
}

/** In a frame, once the model is rebuilt: do the pending work whose rows are there. */
export function settle(app: Inbox, loading: boolean): void {
  const pending = app.pending;
  if (pending.restoreScroll !== null && !loading) {
    // The saved scroll position, once every row it may point into has arrived.
    if (pending.restoreScroll > 0) app.scrollTo(pending.restoreScroll);
    pending.restoreScroll = null;
  }
  if (pending.divergence) {
    pending.divergence = false;
    app.selectFirstDivergence(false);
  }
  if (pending.select) {
    const { id, center, open } = pending.select;
    const rowId = app.model.rowIdForSpan(id);
    // A span still on its way keeps the request until it arrives (or the run is all here).
    if (rowId !== null || !loading) pending.select = null;
    // What the host asked for (or a restored selection): not echoed back to it.
    if (rowId !== null) app.revealRowId(rowId, center, !!open, true);
  }
}

/** Apply a host message; false when it needs no new frame. */
export function receive(app: Inbox, msg: HostMessage, now: number): boolean {
  const m = app.model;
  const pending = app.pending;
  switch (msg.type) {
    case 'init': {
      const sameRun = m.run?.id === msg.run.id;
      m.missing = null;
      if (!sameRun) m.signals = null;
      m.run = msg.run;
      m.resetSpans(decodeSpans(msg.spans));
      pending.spans = msg.pending ?? 0;
      m.details.clear();
      m.setAsOf(msg.asOfMs, now);
      m.setCompare(msg.compare ?? null);
      m.candidates = msg.candidates ?? m.candidates;
      const saved = app.saved();
      // A different run than the one the saved view was for: start fresh.
      if (!sameRun && saved.runId && saved.runId !== msg.run.id) app.dispatch({ type: 'otherRun' });
      const want = msg.selectSpanId ?? (saved.runId === msg.run.id ? saved.selectedSpanId : null) ?? null;
      // A span the host asked for (CodeLens, tree, Problems) opens with its detail.
      if (want) pending.select = { id: want, center: true, open: !!msg.selectSpanId };
      pending.compareId = msg.compare?.other.id ?? null;
      if (msg.compare && !want) pending.divergence = true;
      pending.restoreScroll = !app.initialised ? app.savedScrollTop : null;
      app.initialised = true;
      app.dataChanged();
      return true;
    }
    case 'spansLoaded':
      // The rest of the run, in display order: rows appear as chunks arrive.
      m.upsert(decodeSpans(msg.spans));
      pending.spans = msg.pending;
      app.dataChanged();
      return true;
    case 'spansUpdated':
      m.run = msg.run;
      m.upsert(decodeSpans(msg.spans));
      m.details.invalidate('this', spanIdsOf(msg.spans));
      m.setAsOf(msg.asOfMs, now);
      app.dataChanged();
      return true;
    case 'runUpdated':
      m.run = msg.run;
      m.setAsOf(msg.asOfMs, now);
      app.dataChanged();
      return true;
    case 'compareData': {
      const prevSel = app.selectedSpanId();
      const newOther = msg.compare?.other.id ?? null;
      m.setCompare(msg.compare);
      if (newOther !== pending.compareId) {
        m.details.clear('other');
        pending.compareId = newOther;
        if (msg.compare) pending.divergence = true;
        else if (prevSel) pending.select = { id: prevSel, center: true };
        app.dispatch({ type: 'compareChanged' });
      } else m.details.invalidate('other');
      app.dataChanged();
      return true;
    }
    case 'candidates':
      m.candidates = msg.runs;
      app.showCandidates(msg.runs);
      return false;
    case 'selectSpan':
      pending.select = { id: msg.spanId, center: true };
      app.dispatch({ type: 'setDetailOpen', open: true });
      return true;
    case 'spanDetail': {
      const side = msg.runId === m.run?.id ? 'this' : msg.runId === m.compare?.other.id ? 'other' : null;
      if (!side) return false;
      m.details.receive(side, msg.spanId, msg.detail);
      return true;
    }
    case 'signals':
      if (msg.runId !== m.run?.id) return false;
      m.signals = msg.signals;
      m.signalsVersion++;
      return true;
    case 'runMissing':
      m.missing = msg.message;
      app.initialised = true;
      return true;
  }
}

/** What the webview asks the host about spans: their detail, their source, the clipboard. */
export function spanRequests(m: TimelineModel, post: (msg: WebviewMessage) => void, minSeverity: () => number) {
  // A span of the baseline run is asked for with its run's id.
  const runOf = (side: Side): { runId?: string } | null => (side === 'this' ? {} : m.compare ? { runId: m.compare.other.id } : null);
  return {
    detail: (side: Side, spanId: string) => {
      const run = runOf(side);
      if (run) post({ type: 'getSpanDetail', spanId, ...run, minSeverity: minSeverity() });
    },
    goToSource: (span: SpanCore, side: Side) => post({ type: 'goToSource', spanId: span.id, ...runOf(side) }),
    openSource: (file: string, line: number, column?: number) =>
      post(column !== undefined ? { type: 'openSource', file, line, column } : { type: 'openSource', file, line }),
    copy: (text: string) => post({ type: 'copy', text }),
  };
}
