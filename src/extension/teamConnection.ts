/**
 * The team store's connection from this window: open it (the URL from the user's settings, the
 * password from secret storage or PGPASSWORD), say what state it is in, retry a failed open with
 * a growing delay (a database that is down, a password fixed later), follow the store's own
 * lost/reconnected events, and close it. It never blocks the workspace store: everything here is
 * asynchronous, and a failure is a state the tree shows. Pure (no `vscode`): unit tests drive it
 * against a real PostgreSQL.
 */
import type { Store } from '../core/store/store';
import { isTeamUrl } from '../core/store/pg';
import { labelOf } from '../core/store/pg/connection';
import type { TeamState } from './treeSources';

/** What the window needs of a team store (src/core/store/pg's TeamStore). */
export interface TeamStoreLike extends Store {
  readonly label: string;
  onConnection(listener: (s: { connected: boolean; error?: string }) => void): { dispose(): void };
}

interface TeamOpenOptions {
  url: string;
  password?: string;
  log?: (m: string) => void;
  maxAttrLength?: number;
}

export interface TeamConnectionDeps {
  open(opts: TeamOpenOptions): Promise<TeamStoreLike>;
  log(message: string): void;
  /** The state changed; `store` is the open store (also while its connection is lost), else undefined. */
  onState(state: TeamState, store: TeamStoreLike | undefined): void;
  /** Milliseconds before retry `attempt` (1, 2, …) of a failed open. Default 2 s doubling to 60 s. */
  retryDelayMs?(attempt: number): number;
  maxAttrLength?: number;
}

/** "user@host:port/db" from a postgres:// URL, never its password; '' when it is not one. */
export function urlLabel(url: string): string {
  if (!isTeamUrl(url)) return '';
  try {
    new URL(url);
  } catch {
    return '';
  }
  return labelOf(url).slice(0, 200);
}

/** Why `url` cannot be used as the team store's (undefined: it can). */
function urlProblem(url: string): string | undefined {
  if (!urlLabel(url)) return 'runlens.database.url is not a postgres:// URL';
  if (new URL(url).password)
    return 'runlens.database.url carries a password: remove it from the setting and use “Runlens: Set Team Database Password” (or PGPASSWORD)';
  return undefined;
}

/** Whether an open failed on the password (none, or refused): PostgreSQL's invalid_password / invalid_authorization codes, or the driver saying so. */
function isPasswordProblem(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (code === '28P01' || code === '28000') return true;
  return /password|authentication/i.test(err instanceof Error ? err.message : String(err));
}

const defaultDelay = (attempt: number) => Math.min(60_000, 2000 * 2 ** Math.min(attempt - 1, 5));

export class TeamConnection {
  private store: TeamStoreLike | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private disposed = false;
  private opening: Promise<void> | undefined;
  private connSub: { dispose(): void } | undefined;
  private state: TeamState;

  constructor(
    private readonly url: string,
    private readonly password: string | undefined,
    private readonly deps: TeamConnectionDeps,
  ) {
    this.state = { label: urlLabel(url) || 'invalid URL', status: 'connecting' };
  }

  get current(): TeamState {
    return this.state;
  }

  get openStore(): TeamStoreLike | undefined {
    return this.store;
  }

  /** Start opening (and retrying until it opens or is disposed). */
  start(): void {
    const problem = urlProblem(this.url);
    if (problem) return this.set({ label: this.state.label, status: 'failed', error: problem });
    this.set(this.state);
    this.opening = this.tryOpen();
  }

  /** Retry now instead of at the next retry time (a password was just set). */
  retryNow(): void {
    if (this.store || this.disposed || urlProblem(this.url)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.opening ??= this.tryOpen();
  }

  /** Whether a retry is scheduled or an open in progress. */
  get retrying(): boolean {
    return !!this.timer || !!this.opening;
  }

  private async tryOpen(): Promise<void> {
    this.attempt++;
    try {
      const store = await this.deps.open({
        url: this.url,
        password: this.password,
        log: (m) => this.deps.log(`team store: ${m}`),
        maxAttrLength: this.deps.maxAttrLength,
      });
      if (this.disposed) {
        await store.close().catch(() => undefined);
        return;
      }
      this.store = store;
      this.attempt = 0;
      this.connSub = store.onConnection((s) =>
        this.set({ label: store.label, status: s.connected ? 'connected' : 'lost', ...(s.error ? { error: s.error } : {}) }),
      );
      this.deps.log(`team store ${store.label}: connected`);
      this.set({ label: store.label, status: 'connected' });
    } catch (err) {
      if (this.disposed) return;
      const error = err instanceof Error ? err.message : String(err);
      const passwordProblem = isPasswordProblem(err) || (!this.password && /no password|SASL/i.test(error));
      const delay = (this.deps.retryDelayMs ?? defaultDelay)(this.attempt);
      this.deps.log(`team store ${this.state.label}: ${error} (retrying in ${Math.round(delay / 1000)} s)`);
      this.set({ label: this.state.label, status: 'failed', error, ...(passwordProblem ? { passwordProblem } : {}) });
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.opening ??= this.tryOpen();
      }, delay);
    } finally {
      this.opening = undefined;
    }
  }

  private set(state: TeamState): void {
    this.state = state;
    if (!this.disposed) this.deps.onState(state, this.store);
  }

  /** Stop retrying and close the store. */
  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.connSub?.dispose();
    await this.opening?.catch(() => undefined);
    const store = this.store;
    this.store = undefined;
    await store?.close().catch((err: Error) => this.deps.log(`team store: close: ${err.message}`));
  }
}
