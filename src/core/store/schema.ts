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
];
