/**
 * Who and where ran each run (the user, the host, a CI job: `runOrigins()` of a store, from the
 * run context's origin), for the Runs tree's "Filter Runs by Origin…" and the team store's run
 * labels. Origin text comes from whoever wrote the store (any machine on a team database): it is
 * cut to a bound, stripped of control characters and shown as plain text only. Pure (no `vscode`).
 */

/** A run's origin as the stores report it. */
export interface RunOrigin {
  user?: string;
  host?: string;
  /** A CI job, e.g. "github 1234". */
  ci?: string;
}

export type OriginKind = 'user' | 'host' | 'ci';

/** The origin filter in force: runs whose `kind` is `value`. */
export interface OriginFilter {
  kind: OriginKind;
  value: string;
}

/** The longest origin part shown or matched (longer values are cut, marked with an ellipsis). */
const MAX_PART = 80;
/** How many distinct values of each kind the filter's QuickPick offers. */
const MAX_CHOICES = 200;

/** One origin part as shown: one line, no control characters, bounded; '' when there is nothing printable. */
function originPart(v: unknown): string {
  if (typeof v !== 'string') return '';
  const flat = v.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
  return flat.length > MAX_PART ? `${flat.slice(0, MAX_PART - 1)}…` : flat;
}

/** A run's origin in a few words: "alice@build-7", "ci github 1234", or '' when unknown. */
export function originText(o: RunOrigin | undefined): string {
  if (!o) return '';
  const user = originPart(o.user);
  const host = originPart(o.host);
  const ci = originPart(o.ci);
  const who = user && host ? `${user}@${host}` : user || host;
  return [who, ci && `ci ${ci}`].filter(Boolean).join(' · ');
}

export const ORIGIN_KIND_LABEL: Record<OriginKind, string> = { user: 'user', host: 'host', ci: 'CI job' };

export function describeOrigin(f: OriginFilter): string {
  return `${ORIGIN_KIND_LABEL[f.kind]} ${originPart(f.value)}`;
}

/** The users, hosts and CI jobs present in `maps` (every source's runOrigins()), each with its run count, most runs first. */
export function originChoices(maps: Iterable<ReadonlyMap<string, RunOrigin>>): { kind: OriginKind; value: string; runs: number }[] {
  const counts = new Map<string, { kind: OriginKind; value: string; runs: number }>();
  for (const m of maps) {
    for (const o of m.values()) {
      for (const kind of ['user', 'host', 'ci'] as const) {
        const value = originPart(o[kind]);
        if (!value) continue;
        const k = `${kind}\u0000${value}`;
        const c = counts.get(k);
        if (c) c.runs++;
        else counts.set(k, { kind, value, runs: 1 });
      }
    }
  }
  const all = [...counts.values()].sort((a, b) => b.runs - a.runs || a.kind.localeCompare(b.kind) || a.value.localeCompare(b.value));
  return (['user', 'host', 'ci'] as const).flatMap((kind) => all.filter((c) => c.kind === kind).slice(0, MAX_CHOICES));
}

/** What a tree model needs of its store for origins (the stores have runOrigins(); a store without it has no origins). */
export interface OriginReads {
  runOrigins?(): ReadonlyMap<string, RunOrigin>;
}

/** One store's origins, read once and again only when a run it has not seen appears (a run's origin never changes). */
export class RunOrigins {
  private map: ReadonlyMap<string, RunOrigin> | undefined;

  constructor(private readonly store: OriginReads) {}

  all(): ReadonlyMap<string, RunOrigin> {
    return (this.map ??= this.read());
  }

  of(runId: string): RunOrigin | undefined {
    return this.all().get(runId);
  }

  /** Runs changed: read again on next use when one of them is new here. */
  changed(runIds: readonly string[]): void {
    if (this.map && runIds.some((id) => !this.map!.has(id))) this.map = undefined;
  }

  forget(): void {
    this.map = undefined;
  }

  /** Whether run `runId` passes `filter` (no filter: every run). */
  matches(runId: string, filter: OriginFilter | undefined): boolean {
    if (!filter) return true;
    return originPart(this.of(runId)?.[filter.kind]) === filter.value;
  }

  private read(): ReadonlyMap<string, RunOrigin> {
    try {
      return this.store.runOrigins?.() ?? new Map();
    } catch {
      // A team store that lost its connection: no origins until it is back (its changes read them again).
      return new Map();
    }
  }
}
