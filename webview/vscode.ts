/** The webview side of the VS Code API (acquireVsCodeApi may be called only once). */
import type { WebviewMessage } from '../src/shared/protocol';

export interface PersistedState {
  runId?: string;
  selectedSpanId?: string | null;
  compareRunId?: string | null;
  ui?: Partial<UiState>;
}

/** View preferences kept across reloads of the panel (see state.ts: fromPersisted, toPersisted). */
export interface UiState {
  /** Filter id → value (see filters.ts). */
  filters: Record<string, boolean | string | null>;
  critical: boolean;
  compareLayout: 'overlay' | 'side';
  namesWidth: number;
  detailWidth: number;
  detailOpen: boolean;
  /** The least severity of the detail's Logs section. */
  logSeverity: number;
  collapsed: string[];
  query: string;
  view: { start: number; end: number } | null;
  scrollTop: number;
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface Host {
  post(message: WebviewMessage): void;
  getState(): PersistedState;
  setState(state: PersistedState): void;
}

export function connectHost(): Host {
  const api: VsCodeApi =
    typeof acquireVsCodeApi === 'function'
      ? acquireVsCodeApi()
      : { postMessage: () => undefined, getState: () => undefined, setState: () => undefined };
  return {
    post: (m) => api.postMessage(m),
    getState: () => {
      const s = api.getState();
      return s && typeof s === 'object' ? (s as PersistedState) : {};
    },
    setState: (s) => api.setState(s),
  };
}
