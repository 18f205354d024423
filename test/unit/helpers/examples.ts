/**
 * What the example-workflow suites (examples-*.test.ts) share: each runs the examples the way
 * a user runs them, through the real runner, with a real collector on an ephemeral loopback
 * port and an in-memory store, in a temporary copy of examples/; and reads the result the way
 * a user sees it (the step tree, one span by name, the line a marker names).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Collector } from '../../../src/core/collector';
import type { Run, Span } from '../../../src/core/model';
import { launch } from '../../../src/core/runner';
import { resolveFailure, resolveSource } from '../../../src/core/source';
import { TraceStore } from '../../../src/core/store/store';
import { at, REPO } from './fixtures';

const EXAMPLES = path.join(REPO, 'examples');
export const EXAMPLE_FIXTURES = path.join(REPO, 'test', 'fixtures', 'examples');

/** 1-based line of the line carrying `# RUNLENS-MARK: <marker>` (or `// …`). */
export function markerLine(file: string, marker: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const found = lines.filter((l) => new RegExp(`RUNLENS-MARK: ${marker}(\\s|$)`).test(l));
  assert.equal(found.length, 1, `exactly one marker ${marker} in ${file}`);
  return lines.findIndex((l) => new RegExp(`RUNLENS-MARK: ${marker}(\\s|$)`).test(l)) + 1;
}

export interface Finished {
  run: Run;
  spans: Span[];
  output: string;
}

/** Name tree of the run: top-level spans (parent not among the run's spans) and their children. */
export function tree(spans: Span[]): string[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const children = spans
      .filter((s) => (parent === undefined ? !s.parentSpanId || !ids.has(s.parentSpanId) : s.parentSpanId === parent))
      .sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
    for (const child of children) {
      lines.push(`${'  '.repeat(depth)}${child.name}`);
      walk(child.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

export function only(spans: Span[], name: string): Span {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `one span named ${name}, found ${found.length}: ${tree(spans).join(' | ')}`);
  return at(found, 0);
}

/** The suite's copy of examples/, its store and collector (set once its `before` has run), and how to run a workflow there. */
export interface ExampleWorkspace {
  readonly dir: string;
  readonly store: TraceStore;
  readonly collector: Collector;
  runExample(
    command: string[],
    opts?: { env?: Record<string, string>; cwd?: string; onSpans?: (spans: Span[]) => void },
  ): Promise<Finished>;
  /** Where the span's code is, as the editor resolves it in the copy. */
  source(span: Span): ReturnType<typeof resolveSource>;
  /** Where the span failed, as the editor resolves it in the copy. */
  failure(span: Span): ReturnType<typeof resolveFailure>;
}

/** `describe('example workflows run through Runlens')` with a fresh copy of the examples, a store and a collector. */
export function describeExamples(body: (ex: ExampleWorkspace) => void): void {
  describe('example workflows run through Runlens', function () {
    this.timeout(30_000);
    let dir: string;
    let store: TraceStore;
    let collector: Collector;

    before(async () => {
      dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-examples-')));
      fs.cpSync(EXAMPLES, dir, {
        recursive: true,
        filter: (src) => !/(^|[\\/])(\.cache|__pycache__)$/.test(src),
      });
      // The TypeScript example imports the OpenTelemetry SDK installed at the repository root.
      fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      store = await TraceStore.open();
      collector = await Collector.start(store, { port: 0 });
    });

    after(async () => {
      await collector?.close();
      await store?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    async function runExample(
      command: string[],
      opts: { env?: Record<string, string>; cwd?: string; onSpans?: (spans: Span[]) => void } = {},
    ): Promise<Finished> {
      const workflow = launch(store, { command, cwd: opts.cwd ?? dir, env: opts.env, endpoint: collector.endpoint });
      let output = '';
      workflow.onOutput((_stream, text) => (output += text));
      const sub = opts.onSpans
        ? store.onChange((c) => {
            if (c.runIds.includes(workflow.runId) && c.spans) opts.onSpans!(c.spans);
          })
        : undefined;
      try {
        const run = await workflow.done;
        return { run, spans: store.getSpans(run.id), output };
      } finally {
        sub?.dispose();
      }
    }

    body({
      get dir() {
        return dir;
      },
      get store() {
        return store;
      },
      get collector() {
        return collector;
      },
      runExample,
      source: (span) => resolveSource(span, { workspaceRoot: dir, cwd: dir }),
      failure: (span) => resolveFailure(span, { workspaceRoot: dir, cwd: dir }),
    });
  });
}

/** Run a command outside the runner (RUNLENS_STDOUT_CAPTURED unset) with extra env. */
export function runDirect(
  command: string[],
  env: Record<string, string>,
): Promise<{ exit: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('RUNLENS_') && !k.startsWith('OTEL_')) base[k] = v;
    const [program, ...args] = command;
    assert.ok(program !== undefined, 'a command');
    const child = spawn(program, args, { cwd: REPO, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (exit) => resolve({ exit, stdout, stderr }));
  });
}
