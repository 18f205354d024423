/**
 * Extension-host tests on the real VS Code API: activate Runlens, run the flaky example
 * twice through the Run Workflow command, find the failed step in the Runs tree, go to its
 * source, see the CodeLens and the Problems entry, open the timeline from the lens, and see
 * the Problems entry go after a passing run.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunlensApi } from '../../../src/extension/main';
import type { RunsElement } from '../../../src/extension/treeModel';
import { EXAMPLE, FAILED_ERROR, FAILED_STEP, markedLine, WORKFLOW } from '../../scenario';

const WS = process.env.RUNLENS_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;

async function until<T>(what: string, get: () => T | PromiseLike<T>, ok: (v: T) => boolean, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what} (last: ${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))?.slice(0, 500)})`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Runlens in the extension host', () => {
  let api: RunlensApi;
  const file = path.join(WS, EXAMPLE);
  const raiseLine = markedLine(WS, EXAMPLE, 'validate-raises');

  const runAndWait = async (): Promise<string> => {
    const runId = await vscode.commands.executeCommand<string>('runlens.runWorkflow', WORKFLOW);
    assert.ok(runId, 'Run Workflow returned the run id');
    await until(
      `run ${runId} to end`,
      () => api.store.getRun(runId)?.status,
      (s) => s !== undefined && s !== 'RUNNING',
    );
    api.flush();
    return runId;
  };

  before(async () => {
    const ext = vscode.extensions.all.find((e) => e.packageJSON.name === 'runlens');
    assert.ok(ext, 'the Runlens extension is installed');
    api = (await ext.activate()) as RunlensApi;
  });

  it('collects on 127.0.0.1 and shows runs newest first, the second run FAILED', async () => {
    assert.match(api.endpoint() ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    await vscode.commands.executeCommand('runlens.clearFilter');
    const first = await runAndWait();
    const second = await runAndWait();
    const runs = api.tree.roots().filter((e): e is Extract<RunsElement, { kind: 'run' }> => e.kind === 'run');
    assert.deepEqual(
      runs.slice(0, 2).map((r) => r.runId),
      [second, first],
    );
    assert.match(api.tree.item(runs[0]!).description, /^FAILED\b.*\bexit 1$/);
    assert.match(api.tree.item(runs[1]!).description, /^SUCCESS\b/);
  });

  it('has the failed step in the tree with its error, and Go to Source lands on the line that raised', async () => {
    const run = api.tree.roots()[0]!;
    const walk = (el: RunsElement): RunsElement[] => [el, ...api.tree.children(el).flatMap(walk)];
    const step = walk(run).find((e) => e.kind === 'span' && api.tree.item(e).label === FAILED_STEP)!;
    assert.ok(step, 'the failed step is in the tree');
    assert.match(api.tree.item(step).description, FAILED_ERROR);
    await vscode.commands.executeCommand('runlens.goToSource', step);
    const ed = await until(
      'the editor',
      () => vscode.window.activeTextEditor,
      (e) => e?.document.uri.fsPath === file,
    );
    assert.equal(ed!.selection.active.line + 1, raiseLine);
  });

  it('shows the failure CodeLens at that line, and the lens opens the timeline', async () => {
    const uri = vscode.Uri.file(file);
    const lenses = await until(
      'the failure lens',
      () => vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100),
      (l) => l.some((x) => x.command?.title.startsWith(`$(error) ${FAILED_STEP} failed`)),
    );
    const lens = lenses.find((x) => x.command?.title.startsWith(`$(error) ${FAILED_STEP} failed`))!;
    assert.equal(lens.range.start.line + 1, raiseLine);
    assert.match(lens.command!.title, /duplicate test ids/);
    await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
    await until(
      'the timeline tab',
      () => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label)),
      (labels) => labels.includes(`Timeline: ${WORKFLOW}`),
    );
  });

  it('reports the failure in Problems, and clears it after a passing run', async () => {
    const uri = vscode.Uri.file(file);
    const diag = await until(
      'the Problems entry',
      () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'runlens'),
      (d) => d.length === 1,
    );
    assert.equal(diag[0]!.range.start.line + 1, raiseLine);
    assert.match(diag[0]!.message, /validate failed .*ValueError: duplicate test ids/);
    // Reset the example's cache, then a passing run.
    await vscode.workspace.getConfiguration('runlens').update(
      'workflows',
      [
        { name: WORKFLOW, command: 'python3', args: [EXAMPLE] },
        { name: 'reset', command: 'python3', args: [EXAMPLE, '--reset'] },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    const reset = await vscode.commands.executeCommand<string>('runlens.runWorkflow', 'reset');
    await until(
      'reset to end',
      () => api.store.getRun(reset)?.status,
      (s) => s !== undefined && s !== 'RUNNING',
    );
    await runAndWait();
    await until(
      'the Problems entry to go',
      () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'runlens'),
      (d) => d.length === 0,
    );
  });
});
