/**
 * A run's row in the team store: a run patch merged into what the row holds (fields given
 * win, attributes merge, the start only moves earlier, who/where from its context), and the
 * row written — made with the day partition it belongs to, or updated with a new version.
 */
import type { PoolClient } from 'pg';
import { originOf } from '../../context/types';
import { nowNs, type Attributes, type RunPatch } from '../../model';
import { partOf } from './schema';
import { json, opt, type RunRow } from './writes';

/** A run patch merged into its row (fields given win; attributes merge; the start only moves earlier). */
export function mergeRun(cur: RunRow | undefined, p: RunPatch): Record<string, unknown> {
  const attrs = { ...(cur ? (JSON.parse(String(cur.attributes)) as Attributes) : {}), ...(p.attributes ?? {}) };
  const pick = <T>(v: T | undefined, col: string): unknown => (v !== undefined ? v : cur?.[col]);
  const start = p.startNs !== undefined && cur && BigInt(cur.start_ns as bigint) < p.startNs ? cur.start_ns : (p.startNs ?? cur?.start_ns);
  const origin = p.context?.origin;
  return {
    id: p.id,
    name: opt((pick(p.name, 'name') as string | undefined) ?? p.id),
    status: pick(p.status, 'status') ?? 'RUNNING',
    source: pick(p.source, 'source') ?? 'otlp',
    command: p.command ? json(p.command) : (cur?.command ?? null),
    cwd: opt(pick(p.cwd, 'cwd') as string | undefined),
    start_ns: start ?? nowNs(),
    end_ns: pick(p.endNs, 'end_ns') ?? null,
    exit_code: pick(p.exitCode, 'exit_code') ?? null,
    signal: opt(pick(p.signal, 'signal') as string | undefined),
    git_commit: opt(pick(p.gitCommit, 'git_commit') as string | undefined),
    trace_id: pick(p.traceId, 'trace_id') ?? null,
    root_span_id: pick(p.rootSpanId, 'root_span_id') ?? null,
    workflow: opt(pick(p.workflow, 'workflow') as string | undefined),
    attributes: json(attrs),
    launch_sig: opt(pick(p.launchSignature, 'launch_sig') as string | undefined),
    owner: p.owner ? json(p.owner) : (cur?.owner ?? null),
    origin_user: origin ? opt(origin.user) : (cur?.origin_user ?? null),
    origin_host: origin ? opt(origin.host) : (cur?.origin_host ?? null),
    origin_ci: origin ? opt(originOf(origin).ci) : (cur?.origin_ci ?? null),
  };
}

const RUN_FIELDS = [
  'name',
  'status',
  'source',
  'command',
  'cwd',
  'start_ns',
  'end_ns',
  'exit_code',
  'signal',
  'git_commit',
  'trace_id',
  'root_span_id',
  'workflow',
  'attributes',
  'launch_sig',
  'owner',
  'origin_user',
  'origin_host',
  'origin_ci',
] as const;

export async function writeRun(c: PoolClient, row: Record<string, unknown>, isNew: boolean, nowMs: number): Promise<void> {
  const values = RUN_FIELDS.map((f) => row[f] ?? null);
  if (isNew) {
    await c.query(
      `INSERT INTO runs (id, part, received_ns, touched_ns, version, ${RUN_FIELDS.join(', ')})
       VALUES ($1, $2, $3, $3, nextval('change_seq'), ${RUN_FIELDS.map((_, i) => `$${i + 4}`).join(', ')})`,
      [row.id, partOf(nowMs), BigInt(nowMs) * 1_000_000n, ...values],
    );
  } else {
    await c.query(
      `UPDATE runs SET ${RUN_FIELDS.map((f, i) => `${f} = $${i + 2}`).join(', ')}, version = nextval('change_seq') WHERE id = $1`,
      [row.id, ...values],
    );
  }
}
