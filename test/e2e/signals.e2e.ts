// OpenTelemetry logs and metrics in real VS Code (issue 16): a process outside VS Code exports
// traces, logs and a memory gauge over OTLP/HTTP (protobuf, the JS SDK's proto exporters) to
// the collector the status bar shows. Its run lists "1 error log" in the Runs tree; the record
// opens the timeline at its step, whose detail shows the step's log records; the bar has a
// log mark and the memory series is drawn under the time axis. Waits are on what is on screen.
import assert from 'node:assert/strict';
import path from 'node:path';
import { buildExtension, EXTENSION_DIR, extensionId } from './lib/extension';
import { useSession } from './lib/mocha';
import { FIXTURES_DIR, REPO_ROOT } from './lib/paths';
import { cleanEnv, run } from './lib/proc';
import { pollUntil, UI_TIMEOUT } from './lib/workbench';

const RUNS_VIEW = 'Runs';
/** examples/grpc_workflow, run from VS Code with OTEL_EXPORTER_OTLP_PROTOCOL=grpc (the SDK from the repository's node_modules). */
const GRPC_WORKFLOW = 'grpc workflow';
/** The attached run is named after the service, then its root span once that arrives. */
const RUN = /^\s*e2e-signals(: ingest)?\s*$/;
const ERROR_BODY = 'batch 2: lost 3 rows (disk full)';

describe('OpenTelemetry logs and metrics in VS Code (code-server + Chromium)', function () {
  const RUNLENS_ID = extensionId(EXTENSION_DIR);
  const s = useSession(async () => {
    await buildExtension();
    const workflow = {
      name: GRPC_WORKFLOW,
      command: path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      args: [path.join(REPO_ROOT, 'examples', 'grpc_workflow', 'main.ts')],
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    };
    return { extensions: [EXTENSION_DIR], workspace: { copy: [], settings: { 'runlens.workflows': [workflow] } } };
  });

  it("shows an exporting process's error log under its run, and its step's logs and memory track in the timeline", async () => {
    const wb = s.session.workbench;
    const port = await wb.collectorPort();
    const out = await run(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(FIXTURES_DIR, 'otlp_signals.ts'), `http://127.0.0.1:${port}`],
      { cwd: REPO_ROOT, env: cleanEnv(), timeoutMs: 120_000 },
    );
    assert.match(out.stdout, /exported/);

    // The tree: the run, its "1 error log" row, the record with its step.
    await wb.openViewContainer('Runlens');
    const runRow = await wb.treeItem(RUNS_VIEW, RUN, UI_TIMEOUT);
    const logsRow = await wb.expandUntil(RUNS_VIEW, runRow, '1 error log', 1);
    const record = await wb.expandUntil(RUNS_VIEW, logsRow, ERROR_BODY, 1);
    assert.match(await wb.description(record), /^ERROR · batch 2$/);
    await s.session.screenshot('runs-tree-error-log');

    // A click opens the timeline at that step, its detail listing the step's log records.
    await record.click();
    await wb.waitForTab(/^Timeline: e2e-signals/);
    const frame = wb.webview(RUNLENS_ID);
    const detail = frame.locator('aside[aria-label="Span details"]');
    await pollUntil(
      'the detail of batch 2 with its log records',
      () => detail.innerText(),
      (t) => /^batch 2\b/.test(t.trim()) && t.includes(ERROR_BODY) && t.includes('batch 2: rows parsed'),
      UI_TIMEOUT,
    );
    // Its bar carries a log mark coloured by its worst record; the memory series is under the axis.
    const mark = frame.locator('[role=treeitem][aria-selected=true] .lmark:not([hidden])');
    await mark.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    assert.equal(await mark.getAttribute('title'), '2 log records, highest error');
    const track = frame.locator('[role=group][aria-label="Metrics"] .mt-label');
    await pollUntil(
      'the memory track under the time axis',
      () => track.allInnerTexts(),
      (l) => l.some((x) => /^process\.memory\.usage\s+250 MB$/.test(x.trim())),
      UI_TIMEOUT,
    );
    await s.session.screenshot('timeline-logs-metrics');
  });

  it("runs a workflow that exports over OTLP/gRPC: its warning is in the step's detail and its memory track under the axis", async () => {
    const wb = s.session.workbench;
    await wb.runCommand('Runlens: Run Workflow…');
    await wb.pickQuickPickItem(GRPC_WORKFLOW);
    await wb.openViewContainer('Runlens');
    const runRow = await wb.treeItem(RUNS_VIEW, new RegExp(`^\\s*${GRPC_WORKFLOW}\\s*$`), 120_000);
    await pollUntil(
      'the gRPC run to end as SUCCESS',
      () => wb.description(runRow),
      (d) => d.startsWith('SUCCESS'),
      120_000,
    );
    await wb.runCommand('View: Close All Editors');
    await runRow.hover();
    await runRow.locator('a.action-label[aria-label="Open Timeline"]').click();
    await wb.waitForTab(`Timeline: ${GRPC_WORKFLOW}`);
    const frame = wb.webview(RUNLENS_ID);
    // Batch 3's parse_rows skipped a malformed row with a WARN record (sent over gRPC, joined to its span).
    const parse = frame
      .locator('[role=tree][aria-label="Spans"] [role=treeitem]:not([hidden])')
      .filter({ has: frame.locator('.nm', { hasText: /^parse_rows$/ }) })
      .nth(2);
    await parse.click();
    const detail = frame.locator('aside[aria-label="Span details"]');
    await pollUntil(
      "batch 3's parse_rows detail with its warning",
      () => detail.innerText(),
      (t) => /^parse_rows\b/.test(t.trim()) && t.includes('batch 3: skipped malformed row'),
      UI_TIMEOUT,
    );
    const track = frame.locator('[role=group][aria-label="Metrics"] .mt-label');
    await pollUntil(
      'the memory gauge exported over gRPC under the time axis',
      () => track.allInnerTexts(),
      (l) => l.some((x) => /^process\.memory\.usage\b/.test(x.trim())),
      UI_TIMEOUT,
    );
    await s.session.screenshot('timeline-grpc');
  });
});
