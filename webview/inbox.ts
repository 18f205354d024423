/**
 * What each host message does to the model, the view state and the work left for the next
 * frame (a selection waiting for its span, the first divergence to select, a scroll
 * position to restore). Messages are validated before they get here (main.ts).
 */
import { decodeSpans, spanIdsOf, type HostMessage, type RunChoiceView } from '../src/shared/protocol';
import type { TimelineModel } from './model';
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
}

/** Apply a host message; false when it needs no new frame. */
export function receive(app: Inbox, msg: HostMessage, now: number): boolean {
  const m = app.model;
  const pending = app.pending;
  switch (msg.type) {
    case 'init': {
      const sameRun = m.run?.id === msg.run.id;
      m.missing = null;
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
    case 'runMissing':
      m.missing = msg.message;
      app.initialised = true;
      return true;
  }
}
