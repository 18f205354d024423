/**
 * The host side of the timeline without VS Code: a real in-memory store holding the
 * agent-ok and agent-failed fixtures, and fake UI ports that record what the session posts,
 * opens, copies, says and asks. Sessions made with `h.session()` and the stores are disposed
 * and closed by `closeHarnesses` (each suite's afterEach).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Run, Span } from '../../../src/core/model';
import { TraceStore } from '../../../src/core/store/store';
import { TimelineSession, type SessionDeps } from '../../../src/extension/timeline/session';
import type { SourceLike } from '../../../src/extension/timeline/views';
import { parseHostMessage, type HostMessage } from '../../../src/shared/protocol';
import { loadFixture } from '../../fixtures/timeline/load';

/** Wait for a condition (never for a time): the batch window closes when it closes. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

/** A run as the store takes it (its counts are the store's to keep). */
export const patch = ({ spanCount: _c, errorCount: _e, ...rest }: Run) => rest;

function source(span: Span): SourceLike | undefined {
  const file = span.attributes['code.filepath'];
  const line = span.attributes['code.lineno'];
  return typeof file === 'string' && typeof line === 'number' ? { file, line } : undefined;
}

export interface Harness {
  store: TraceStore;
  posted: HostMessage[];
  opened: SourceLike[];
  infos: string[];
  warnings: string[];
  copied: string[];
  titles: string[];
  picks: { runs: Run[]; answer: string | undefined }[];
  deps: SessionDeps;
  of<T extends HostMessage['type']>(type: T): Extract<HostMessage, { type: T }>[];
  /** A session of the run on `deps` as they are now, disposed after the test. */
  session(runId: string, init?: ConstructorParameters<typeof TimelineSession>[2]): TimelineSession;
}

/** The store as the session sees it, telling `seen` of every read of spans (span heads, one span, all spans) before it is made. */
export function readsOf(
  store: TraceStore,
  seen: (read: 'spanHeads' | 'getSpan' | 'getSpans', runId: string) => unknown,
): SessionDeps['store'] {
  return {
    getRun: (id) => store.getRun(id),
    listRuns: (o) => store.listRuns(o),
    onChange: (l) => store.onChange(l),
    spanHeads: (id) => (seen('spanHeads', id), store.spanHeads(id)),
    getSpan: (id, spanId) => (seen('getSpan', id), store.getSpan(id, spanId)),
    getSpans: (id) => (seen('getSpans', id), store.getSpans(id)),
    getLogs: (id, q) => store.getLogs(id, q),
    logSummary: (id) => store.logSummary(id),
    getMetrics: (id) => store.getMetrics(id),
  };
}

const stores: TraceStore[] = [];
const sessions: TimelineSession[] = [];

/** Dispose the sessions and close the stores the test made. */
export async function closeHarnesses(): Promise<void> {
  for (const s of sessions.splice(0)) s.dispose();
  for (const s of stores.splice(0)) await s.close();
}

export async function harness(pickAnswer?: string): Promise<Harness> {
  const store = await TraceStore.open();
  stores.push(store);
  for (const name of ['agent-ok', 'agent-failed']) {
    const fx = loadFixture(name);
    store.apply({ runs: [patch(fx.run)], spans: fx.spans });
  }
  const h: Harness = {
    store,
    posted: [],
    opened: [],
    infos: [],
    warnings: [],
    copied: [],
    titles: [],
    picks: [],
    deps: undefined as unknown as SessionDeps,
    of: (type) => h.posted.filter((m) => m.type === type) as never,
    session: (runId, init) => {
      const session = new TimelineSession(h.deps, runId, init);
      sessions.push(session);
      return session;
    },
  };
  h.deps = {
    store,
    resolveSource: source,
    openSource: (loc) => h.opened.push(loc),
    log: { info: () => undefined, warn: (m) => h.warnings.push(m), error: (m) => h.warnings.push(m) },
    batchMs: 20,
    ui: {
      post: (m) => {
        // Everything the host sends must pass the webview's own validation, after a
        // structured clone (typed arrays arrive as typed arrays, as VS Code delivers them).
        const parsed = parseHostMessage(structuredClone(m));
        assert.ok(parsed.ok, `host sent an invalid message: ${parsed.ok ? '' : parsed.error}`);
        h.posted.push(m);
      },
      pickRun: async (runs) => {
        h.picks.push({ runs, answer: pickAnswer });
        return pickAnswer;
      },
      copy: async (t) => void h.copied.push(t),
      info: (m) => h.infos.push(m),
      setTitle: (t) => h.titles.push(t),
    },
  };
  return h;
}
