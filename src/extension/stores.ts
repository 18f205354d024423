/**
 * The stores this window shows: the workspace store (always; what launched runs, the collector
 * and imports write) and the team store (when `runlens.database.url` is set and it is open).
 * Tree elements, command targets and timelines name their source ('team', or none for the
 * workspace), and everything that reads a run reads it from `of(source)`: one tree, one set of
 * commands, two backends behind the same Store surface. Pure (no `vscode`).
 */
import type { Store } from '../core/store/store';
import type { RemoteStore } from '../core/store/remote';
import type { TeamStoreLike } from './teamConnection';
import type { SourceId } from './treeSources';

export class Stores {
  private current: TeamStoreLike | undefined;
  private readonly waiting = new Set<(s: TeamStoreLike) => void>();

  constructor(readonly workspace: RemoteStore) {}

  /** The team store while it is open (also while its connection is lost: it reconnects by itself). */
  get team(): TeamStoreLike | undefined {
    return this.current;
  }

  set team(store: TeamStoreLike | undefined) {
    this.current = store;
    if (store) for (const w of [...this.waiting]) w(store);
  }

  /** The team store once it is open (it opens in the background after a window starts), or undefined after `ms`. */
  whenTeam(ms: number): Promise<TeamStoreLike | undefined> {
    if (this.current) return Promise.resolve(this.current);
    return new Promise((resolve) => {
      const done = (s: TeamStoreLike | undefined) => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve(s);
      };
      const timer = setTimeout(() => done(undefined), ms);
      this.waiting.add(done);
    });
  }

  /** The store of a source; undefined when it is the team's and that is not open. */
  of(source: SourceId | undefined): Store | undefined {
    return source === 'team' ? this.team : this.workspace;
  }
}
