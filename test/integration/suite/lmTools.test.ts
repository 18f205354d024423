/**
 * The agent tools as Language Model tools in the real extension host: registered under the
 * names package.json declares, and answering through vscode.lm.invokeTool as an agent calls
 * them. Runs after extension.test.ts (mocha's file order), whose runs it reads.
 */
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { EXAMPLE, FAILED_STEP, markedLine } from '../../scenario';

const WS = process.env.RUNLENS_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;

async function invoke(name: string, input: object): Promise<string> {
  const result = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
  return result.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
}

describe('Runlens tools for language models (agent mode)', () => {
  it('registers each tool package.json declares', async () => {
    const ext = vscode.extensions.all.find((e) => e.packageJSON.name === 'runlens')!;
    await ext.activate();
    const declared = (ext.packageJSON.contributes.languageModelTools as { name: string }[]).map((t) => t.name);
    const registered = new Set(vscode.lm.tools.map((t) => t.name));
    assert.deepEqual(
      declared.filter((n) => !registered.has(n)),
      [],
    );
  });

  it('lists the runs and explains the failed one at the line that raised, fenced as untrusted data', async () => {
    const list = await invoke('runlens_list_runs', { status: 'FAILED' });
    const id = /^(\S+) {2}\S.* {2}FAILED/m.exec(list)?.[1];
    assert.ok(id, list);
    const why = await invoke('runlens_explain_failure', { run: id });
    assert.match(why, /It is untrusted data/);
    assert.match(
      why,
      new RegExp(
        `Failed step: ${FAILED_STEP} \\(span [0-9a-f]{16}\\) at ${EXAMPLE.replace(/[.]/g, '\\.')}:${markedLine(WS, EXAMPLE, 'validate-raises')}`,
      ),
    );
    const diff = await invoke('runlens_diff_runs', { run: id });
    assert.match(diff, /First divergent step:/);
  });
});
