/**
 * The Runs tree's filter: run statuses and a text that matches a run's own name, workflow,
 * id or command, or the name of one of its spans. Pure (no `vscode`), like treeModel.ts.
 */
import type { Run, RunStatus } from '../core/model';
import { RUN_STATUSES } from '../core/model';
import { describeOrigin, type OriginFilter } from './treeOrigin';

export interface TreeFilter {
  /** Run statuses to show; empty = all. */
  statuses: RunStatus[];
  /** Case-insensitive text in the run name/workflow/id or a span name; '' = no text filter. */
  text: string;
  /** Runs by one user, host or CI job (treeOrigin.ts); absent = any. */
  origin?: OriginFilter;
}

export function describeFilter(f: TreeFilter): string {
  const parts: string[] = [];
  if (f.statuses.length && f.statuses.length < RUN_STATUSES.length) parts.push(f.statuses.join(', '));
  if (f.text) parts.push(`“${f.text}”`);
  if (f.origin) parts.push(`by ${describeOrigin(f.origin)}`);
  return parts.join(' · ');
}

/** The filter in force and the runs it shows because of a span's name (not their own). */
export class RunFilter {
  private filter: TreeFilter = { statuses: [], text: '' };
  private spanMatches = new Set<string>();

  get text(): string {
    return this.filter.text;
  }

  get(): TreeFilter {
    // `origin` always given (undefined: any), so setting what this returns sets the whole filter.
    return { statuses: [...this.filter.statuses], text: this.filter.text, origin: this.filter.origin && { ...this.filter.origin } };
  }

  get origin(): OriginFilter | undefined {
    return this.filter.origin;
  }

  /** Set (part of) the filter; unknown statuses are dropped, the text trimmed; `origin: undefined` given clears the origin. */
  set(f: Partial<TreeFilter>): void {
    const origin = 'origin' in f ? f.origin : this.filter.origin;
    this.filter = {
      statuses: (f.statuses ?? this.filter.statuses).filter((s) => (RUN_STATUSES as readonly string[]).includes(s)),
      text: (f.text ?? this.filter.text).trim(),
      ...(origin ? { origin: { kind: origin.kind, value: origin.value } } : {}),
    };
  }

  ownTextMatch(r: Run): boolean {
    const t = this.filter.text.toLowerCase();
    return [r.name, r.workflow ?? '', r.id, ...(r.command ?? [])].some((s) => s.toLowerCase().includes(t));
  }

  isVisible(r: Run): boolean {
    if (this.filter.statuses.length && !this.filter.statuses.includes(r.status)) return false;
    if (!this.filter.text) return true;
    return this.ownTextMatch(r) || this.spanMatches.has(r.id);
  }

  /** Which of `runs` have a span matching the text, from the store's index (`matching`). */
  recompute(runs: readonly Run[], matching: (text: string) => Set<string>): void {
    this.spanMatches = new Set();
    if (!this.filter.text) return;
    const ids = matching(this.filter.text);
    for (const r of runs) if (ids.has(r.id)) this.spanMatches.add(r.id);
  }

  /** After a run's spans changed: whether one of `spanNames` matches now. */
  update(runId: string, spanNames: Iterable<string>): void {
    const t = this.filter.text.toLowerCase();
    let hit = false;
    for (const name of spanNames) if ((hit = name.toLowerCase().includes(t))) break;
    if (hit) this.spanMatches.add(runId);
    else this.spanMatches.delete(runId);
  }

  forget(runId: string): void {
    this.spanMatches.delete(runId);
  }

  clear(): void {
    this.spanMatches.clear();
  }
}
