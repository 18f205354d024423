/**
 * Retention: how many runs and bytes a store keeps (saved with it, so every process writing
 * to it applies the same), and the finished runs received first deleted beyond that, after
 * the writes that make runs. Never on open: a reading command never deletes.
 */
import { DEFAULT_MAX_RUNS, DEFAULT_MAX_SIZE_MB } from '../../shared/defaults';
import type { Applier } from './apply';
import type { StoreContext } from './context';
import type { Reader } from './reads';
import type { Snapshots } from './snapshots';

/** The retention of TraceStore (`get` is its `retention()`, documented there). */
export class Retention {
  constructor(
    private readonly ctx: StoreContext,
    private readonly applier: Applier,
    private readonly reader: Reader,
    private readonly snapshots: Snapshots,
  ) {}

  /** Retention given by this process is saved with the store (a reading command never deletes). */
  save(): void {
    const bounded = (v: number | undefined, min: number) =>
      v !== undefined && Number.isFinite(v) ? Math.max(min, Math.floor(v)) : undefined;
    const maxRuns = bounded(this.ctx.opts.maxRuns, 1);
    const maxBytes = bounded(this.ctx.opts.maxBytes, 1024 * 1024);
    let changed = false;
    for (const [key, value] of [
      ['retention_max_runs', maxRuns],
      ['retention_max_bytes', maxBytes],
    ] as const) {
      if (value === undefined || this.ctx.catalog.meta(key) === String(value)) continue;
      this.ctx.catalog.setMeta(key, String(value));
      changed = true;
    }
    if (changed) this.snapshots.snapshot(); // rare (the setting changed): written now, not at the next write
  }

  get(): { maxRuns: number; maxBytes: number } {
    const saved = (key: string) => {
      const v = Number(this.ctx.catalog.meta(key));
      return Number.isFinite(v) && v > 0 ? v : undefined;
    };
    return {
      maxRuns: this.ctx.opts.maxRuns ?? saved('retention_max_runs') ?? DEFAULT_MAX_RUNS,
      maxBytes: this.ctx.opts.maxBytes ?? saved('retention_max_bytes') ?? DEFAULT_MAX_SIZE_MB * 1024 * 1024,
    };
  }

  /** Delete the finished runs received first beyond the retention (after a write that made runs). */
  enforce(): void {
    const { maxRuns, maxBytes } = this.get();
    const finished = this.ctx.catalog.all("SELECT id FROM runs WHERE status != 'RUNNING' ORDER BY received_ns ASC, id ASC") as {
      id: string;
    }[];
    const total = Number(this.ctx.catalog.all('SELECT count(*) AS n FROM runs')[0]!.n);
    const victims = new Set<string>();
    for (let i = 0; i < finished.length && total - victims.size > maxRuns; i++) victims.add(finished[i]!.id);
    let size = this.reader.sizeBytes();
    if (size > maxBytes) {
      for (const { id } of finished) {
        if (size <= maxBytes * 0.9) break;
        if (victims.has(id)) continue;
        victims.add(id);
        size -= this.ctx.files.bytes(id);
      }
    }
    if (!victims.size) return;
    const ids = [...victims];
    this.applier.write('delete', { runIds: ids });
    this.ctx.emit({ type: 'deleted', runIds: ids });
  }
}
