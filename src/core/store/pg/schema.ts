/**
 * The team store's PostgreSQL schema (docs/schema.md, "Team store"): every table in the
 * `runlens` schema of the team's database, created and upgraded by numbered migrations
 * under an advisory lock (two writers starting at once migrate once). The tables that grow
 * with spans (spans, logs, metric points, output) are partitioned by `part`, the day a run
 * was first received: retention drops whole partitions instead of deleting rows.
 */
import type { PoolClient } from 'pg';
import { inTransaction, SCHEMA } from './connection';

/** Advisory lock keys (any two 64-bit numbers no other application of the database uses). */
const LOCK_MIGRATE = 7_263_001;
export const LOCK_PARTITIONS = 7_263_002;

/** Migration N+1 is MIGRATIONS[N]; applied ones are recorded in schema_migrations. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id text PRIMARY KEY,
     part integer NOT NULL,
     name text NOT NULL,
     status text NOT NULL,
     source text NOT NULL,
     command text,
     cwd text,
     start_ns bigint NOT NULL,
     end_ns bigint,
     max_end_ns bigint,
     exit_code integer,
     signal text,
     git_commit text,
     trace_id text,
     root_span_id text,
     workflow text,
     attributes text NOT NULL DEFAULT '{}',
     span_count integer NOT NULL DEFAULT 0,
     error_count integer NOT NULL DEFAULT 0,
     running_count integer NOT NULL DEFAULT 0,
     launch_sig text,
     owner text,
     received_ns bigint NOT NULL,
     touched_ns bigint NOT NULL,
     settled boolean NOT NULL DEFAULT false,
     origin_user text,
     origin_host text,
     origin_ci text,
     version bigint NOT NULL
   );
   CREATE INDEX runs_by_start ON runs (start_ns DESC, id DESC);
   CREATE INDEX runs_by_version ON runs (version);
   CREATE INDEX runs_by_part ON runs (part);
   CREATE SEQUENCE change_seq;
   CREATE TABLE deleted_runs (run_id text NOT NULL, version bigint NOT NULL);
   CREATE INDEX deleted_runs_by_version ON deleted_runs (version);
   CREATE TABLE run_contexts (run_id text PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE, context text NOT NULL);
   CREATE TABLE run_traces (
     trace_id text NOT NULL,
     run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     PRIMARY KEY (trace_id, run_id)
   );
   CREATE INDEX run_traces_by_run ON run_traces (run_id);
   CREATE TABLE run_digests (run_id text PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE, digest text NOT NULL);
   CREATE TABLE resources (hash text PRIMARY KEY, attributes text NOT NULL);
   CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
   CREATE TABLE spans (
     part integer NOT NULL,
     trace_id text NOT NULL,
     span_id text NOT NULL,
     run_id text NOT NULL,
     parent_span_id text,
     name text NOT NULL,
     kind integer NOT NULL,
     start_ns bigint NOT NULL,
     end_ns bigint,
     status text NOT NULL,
     status_message text,
     status_label text,
     attributes text NOT NULL,
     events text NOT NULL,
     truncated text,
     resource_hash text,
     scope_name text,
     scope_version text,
     PRIMARY KEY (part, trace_id, span_id)
   ) PARTITION BY RANGE (part);
   CREATE INDEX spans_by_run ON spans (run_id, start_ns);
   CREATE TABLE output (
     part integer NOT NULL,
     run_id text NOT NULL,
     seq integer NOT NULL,
     stream text NOT NULL,
     text text NOT NULL,
     PRIMARY KEY (part, run_id, seq)
   ) PARTITION BY RANGE (part);
   CREATE TABLE logs (
     part integer NOT NULL,
     run_id text NOT NULL,
     key text NOT NULL,
     time_ns bigint NOT NULL,
     severity_number integer NOT NULL,
     severity_text text,
     body text NOT NULL,
     attributes text NOT NULL,
     trace_id text,
     span_id text,
     resource_hash text,
     scope_name text,
     scope_version text,
     PRIMARY KEY (part, run_id, key)
   ) PARTITION BY RANGE (part);
   CREATE INDEX logs_by_run ON logs (run_id, time_ns);
   CREATE TABLE metric_points (
     part integer NOT NULL,
     run_id text NOT NULL,
     series text NOT NULL,
     time_ns bigint NOT NULL,
     name text NOT NULL,
     unit text,
     kind text NOT NULL,
     monotonic boolean,
     value double precision NOT NULL,
     attributes text NOT NULL,
     PRIMARY KEY (part, run_id, series, time_ns)
   ) PARTITION BY RANGE (part);`,
  // 2: one step of a run by its id (the timeline's detail, getSpan) without reading the run's spans.
  `CREATE INDEX spans_by_run_span ON spans (run_id, span_id);`,
  // 3: the log records and points a run holds, so its bound (Limits.logsPerRun, pointsPerRun) costs no count.
  `ALTER TABLE runs ADD COLUMN log_count integer NOT NULL DEFAULT 0, ADD COLUMN point_count integer NOT NULL DEFAULT 0;
   UPDATE runs r SET log_count = (SELECT count(*) FROM logs l WHERE l.part = r.part AND l.run_id = r.id),
                     point_count = (SELECT count(*) FROM metric_points p WHERE p.part = r.part AND p.run_id = r.id);`,
  // 4: the step names of each run, so finding runs by a step name (the tree's filter) reads these, not every span.
  `CREATE TABLE run_names (run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE, name text NOT NULL, PRIMARY KEY (run_id, name));
   INSERT INTO run_names (run_id, name) SELECT DISTINCT run_id, name FROM spans s WHERE EXISTS (SELECT 1 FROM runs r WHERE r.id = s.run_id);`,
];

/** The tables partitioned by day (retention drops a day of each at once). */
export const PARTITIONED = ['spans', 'output', 'logs', 'metric_points'] as const;

const DAY_MS = 86_400_000;
/** The partition of a run first received at `ms` (days since 1970-01-01 UTC). */
export const partOf = (ms: number): number => Math.floor(ms / DAY_MS);

/** Bring the schema up to date; refuses a database a newer Runlens upgraded. */
export async function migrate(c: PoolClient): Promise<void> {
  await c.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  await c.query('SELECT pg_advisory_lock($1)', [LOCK_MIGRATE]);
  try {
    await c.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const have = Number(rows[0]?.v ?? 0);
    if (have > MIGRATIONS.length)
      throw new Error(
        `the team database's schema is version ${have}, newer than this Runlens knows (${MIGRATIONS.length}): update Runlens`,
      );
    for (let v = have + 1; v <= MIGRATIONS.length; v++)
      await inTransaction(c, async () => {
        await c.query(MIGRATIONS[v - 1]!);
        await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v]);
      });
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [LOCK_MIGRATE]);
  }
}

/**
 * Make the partitions of `parts` that do not exist yet, in their own short transaction
 * (creating one locks its parent table) under an advisory lock, so two writers never race.
 */
export async function ensurePartitions(c: PoolClient, parts: Iterable<number>, known: Set<number>): Promise<void> {
  const missing = [...new Set(parts)].filter((p) => !known.has(p));
  if (!missing.length) return;
  await inTransaction(c, async () => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK_PARTITIONS]);
    for (const p of missing) {
      if (!Number.isSafeInteger(p)) throw new Error(`bad partition ${p}`);
      for (const t of PARTITIONED)
        await c.query(`CREATE TABLE IF NOT EXISTS ${t}_d${p} PARTITION OF ${t} FOR VALUES FROM (${p}) TO (${p + 1})`);
    }
  });
  for (const p of missing) known.add(p);
}

/** The day partitions that exist (the spans table's; the others are made with them). */
export async function existingPartitions(c: PoolClient): Promise<number[]> {
  const { rows } = await c.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
     WHERE p.relname = 'spans' AND n.nspname = $1`,
    [SCHEMA],
  );
  return rows.map((r) => /^spans_d(\d+)$/.exec(r.name)).flatMap((m) => (m ? [Number(m[1])] : []));
}
