/**
 * The runs the Runs tree shows (treeModel.ts), newest first: read from the store on first
 * use, then kept by the store's changes. Pure (no `vscode`).
 */
import type { Run } from '../core/model';

const byStartDesc = (a: Run, b: Run) => (a.startNs > b.startNs ? -1 : a.startNs < b.startNs ? 1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export class RunList {
  private runs: Run[] = [];
  private readonly byId = new Map<string, Run>();
  private loaded = false;

  constructor(private readonly read: () => Run[]) {}

  /** Every run, newest first. */
  all(): readonly Run[] {
    this.load();
    return this.runs;
  }

  get(runId: string): Run | undefined {
    this.load();
    return this.byId.get(runId);
  }

  /** The run as the list holds it now, without reading the list first. */
  peek(runId: string): Run | undefined {
    return this.byId.get(runId);
  }

  /** Read the runs from the store, unless they were read already. */
  load(): void {
    if (this.loaded) return;
    this.loaded = true;
    this.runs = this.read().slice().sort(byStartDesc);
    this.byId.clear();
    for (const r of this.runs) this.byId.set(r.id, r);
  }

  /** Read them again on next use. */
  unload(): void {
    this.loaded = false;
    this.runs = [];
    this.byId.clear();
  }

  /** Every run is gone. */
  clear(): void {
    this.runs = [];
    this.byId.clear();
  }

  /** The store's copy of run `runId`, in place of `before` (the list's copy) or added; the list stays newest first. */
  put(runId: string, after: Run, before: Run | undefined): void {
    this.byId.set(runId, after);
    if (!before) {
      this.runs.push(after);
      this.runs.sort(byStartDesc);
      return;
    }
    this.runs[this.runs.indexOf(before)] = after;
    if (before.startNs !== after.startNs) this.runs.sort(byStartDesc);
  }

  forget(runId: string): void {
    const r = this.byId.get(runId);
    if (r) this.runs.splice(this.runs.indexOf(r), 1);
    this.byId.delete(runId);
  }
}
