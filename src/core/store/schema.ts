/**
 * Versioned schema migrations. Each entry moves the database from version i to i+1 and
 * runs inside one transaction; `PRAGMA user_version` records where a database stands.
 * Documented for humans in docs/schema.md — keep both in step.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: runs, spans, resources, run output, meta
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('RUNNING','SUCCESS','PARTIAL','FAILED')),
    source TEXT NOT NULL,
    command TEXT,            -- JSON array of argv
    cwd TEXT,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER,
    exit_code INTEGER,
    signal TEXT,
    git_commit TEXT,
    trace_id TEXT,
    root_span_id TEXT,
    workflow TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    span_count INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0,   -- spans ERROR or INCOMPLETE
    running_count INTEGER NOT NULL DEFAULT 0  -- spans RUNNING
  );
  CREATE INDEX runs_by_start ON runs (start_ns DESC);
  CREATE INDEX runs_by_workflow ON runs (workflow, start_ns DESC);
  CREATE TABLE resources (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL
  );
  CREATE TABLE spans (
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    parent_span_id TEXT,
    name TEXT NOT NULL,
    kind INTEGER NOT NULL DEFAULT 0,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER,
    status TEXT NOT NULL CHECK (status IN ('OK','ERROR','RUNNING','INCOMPLETE')),
    status_message TEXT,
    status_label TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    events TEXT NOT NULL DEFAULT '[]',
    truncated TEXT,
    resource_id INTEGER REFERENCES resources (id),
    scope_name TEXT,
    scope_version TEXT,
    PRIMARY KEY (trace_id, span_id)
  );
  CREATE INDEX spans_by_run ON spans (run_id, start_ns);
  CREATE INDEX spans_by_name ON spans (name);
  CREATE TABLE output (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    stream TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
  );
  `,
  // 2: runs carry a launch signature (only signed runs can be re-run), the time this store
  //    received them (retention order: clients cannot claim to be newest), the process recording
  //    them (a run whose recorder died is closed), and CANCELLED / INCOMPLETE.
  `
  CREATE TABLE runs_v2 (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('RUNNING','SUCCESS','PARTIAL','FAILED','CANCELLED','INCOMPLETE')),
    source TEXT NOT NULL,
    command TEXT,
    cwd TEXT,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER,
    exit_code INTEGER,
    signal TEXT,
    git_commit TEXT,
    trace_id TEXT,
    root_span_id TEXT,
    workflow TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    span_count INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0,
    running_count INTEGER NOT NULL DEFAULT 0,
    launch_sig TEXT,          -- HMAC of a run Runlens launched (see src/core/launchKey.ts)
    received_ns INTEGER NOT NULL DEFAULT 0, -- when this store first saw the run (its own clock)
    owner TEXT                -- JSON {pid, started, host} of the process recording a launched/followed run
  );
  INSERT INTO runs_v2 (id, name, status, source, command, cwd, start_ns, end_ns, exit_code, signal, git_commit, trace_id,
    root_span_id, workflow, attributes, span_count, error_count, running_count, launch_sig, received_ns, owner)
  SELECT id, name, status, source, command, cwd,
    CASE WHEN typeof(start_ns) = 'integer' AND start_ns >= 0 THEN start_ns ELSE 0 END,
    CASE WHEN typeof(end_ns) = 'integer' AND end_ns >= 0 THEN end_ns ELSE NULL END,
    exit_code, signal, git_commit, trace_id, root_span_id, workflow, attributes, span_count, error_count, running_count,
    NULL, min(CASE WHEN typeof(start_ns) = 'integer' AND start_ns >= 0 THEN start_ns ELSE 0 END,
              CAST(strftime('%s', 'now') AS INTEGER) * 1000000000), NULL
  FROM runs;
  DROP TABLE runs;
  ALTER TABLE runs_v2 RENAME TO runs;
  CREATE INDEX runs_by_start ON runs (start_ns DESC);
  CREATE INDEX runs_by_workflow ON runs (workflow, start_ns DESC);
  CREATE INDEX runs_by_received ON runs (received_ns);
  UPDATE spans SET start_ns = 0 WHERE typeof(start_ns) != 'integer' OR start_ns < 0;
  UPDATE spans SET end_ns = NULL WHERE end_ns IS NOT NULL AND (typeof(end_ns) != 'integer' OR end_ns < 0);
  `,
  // 3: the database becomes a catalog. Each run's spans, resources and output move to a
  //    database file of their own (RUN_MIGRATIONS; written by the store before this step, see
  //    store.ts moveToRunFiles), so no question about one run loads every run. What is left
  //    here: runs, and which runs hold spans of which trace (a span never moves between runs).
  `
  CREATE TABLE run_traces (
    trace_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (trace_id, run_id)
  );
  CREATE INDEX run_traces_by_run ON run_traces (run_id);
  INSERT OR IGNORE INTO run_traces (trace_id, run_id) SELECT DISTINCT trace_id, run_id FROM spans;
  DROP TABLE spans;
  DROP TABLE output;
  DROP TABLE resources;
  `,
  // 4: each finished run's digest (src/core/digest.ts): what the editor's CodeLens, Problems,
  //    history and the tree's filter need, read without opening the run's file. Derived data:
  //    rewritten when stale, dropped with the run.
  `
  CREATE TABLE run_digests (
    run_id TEXT PRIMARY KEY,
    digest TEXT NOT NULL      -- JSON (the store's codec), see RunDigest
  );
  `,
  // 5: what was around each launched run when it started (src/core/context: commit, uncommitted
  //    files, environment names with hashes of their values, runtimes, lock files, inputs), for
  //    Run Diff. Kept apart from runs: the run list never reads it.
  `
  CREATE TABLE run_contexts (
    run_id TEXT PRIMARY KEY,
    context TEXT NOT NULL     -- JSON, see RunContext (validated when read)
  );
  `,
];

/**
 * A run's own database file (`<catalog>.runs/<sha256(run id)[0..32]>.db`): its spans, the
 * resources they point at, its output lines. The same columns as the single-file store had.
 */
export const RUN_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE resources (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL
  );
  CREATE TABLE spans (
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    parent_span_id TEXT,
    name TEXT NOT NULL,
    kind INTEGER NOT NULL DEFAULT 0,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER,
    status TEXT NOT NULL CHECK (status IN ('OK','ERROR','RUNNING','INCOMPLETE')),
    status_message TEXT,
    status_label TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    events TEXT NOT NULL DEFAULT '[]',
    truncated TEXT,
    resource_id INTEGER REFERENCES resources (id),
    scope_name TEXT,
    scope_version TEXT,
    PRIMARY KEY (trace_id, span_id)
  );
  CREATE INDEX spans_by_start ON spans (start_ns);
  CREATE TABLE output (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    stream TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
  );
  `,
  // 2: the run's OpenTelemetry log records (joined to its spans by span id) and metric points
  //    (gauges and sums; one series per name, unit, kind and point attributes). See signals.ts.
  `
  CREATE TABLE logs (
    time_ns INTEGER NOT NULL,
    severity_number INTEGER NOT NULL DEFAULT 0,   -- OTLP 1..24, 0 unspecified
    severity_text TEXT,
    body TEXT NOT NULL,                           -- a structured body as JSON
    attributes TEXT NOT NULL DEFAULT '{}',
    trace_id TEXT,
    span_id TEXT,
    resource_id INTEGER REFERENCES resources (id),
    scope_name TEXT,
    scope_version TEXT
  );
  CREATE INDEX logs_by_span ON logs (span_id, time_ns);
  CREATE INDEX logs_by_time ON logs (time_ns);
  CREATE TABLE metric_points (
    series TEXT NOT NULL,                         -- hash of name, unit, kind, attributes
    name TEXT NOT NULL,
    unit TEXT,
    description TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('gauge','sum')),
    monotonic INTEGER,                            -- sums: 1 counter, 0 up-down
    time_ns INTEGER NOT NULL,
    value REAL NOT NULL,
    attributes TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX metric_points_by_series ON metric_points (series, time_ns);
  `,
];
