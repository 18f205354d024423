/** Running things: a workflow (QuickPick or by name), Re-run, Re-run Last, Stop, and following a log file. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { tailFile } from '../../core/tail';
import { lastRerunnable } from '../rerun';
import type { Services } from '../services';
import type { SkippedWorkflow, WorkflowSpec } from '../workflowSources';
import { declaredWorkflows, requireTrust, rerunDecision } from '../workflows';
import type { Target } from './table';

export function registerRunCommands(s: Services): vscode.Disposable[] {
  const { launcher, tree, tails, log, store, config } = s;

  const launch = (spec: WorkflowSpec): string => {
    const runId = launcher.start(spec);
    tree.showNewRun(runId);
    return runId;
  };

  /** The QuickPick; with a name (keybindings, tasks, tests) that workflow runs directly. */
  const runWorkflow = async (name?: unknown): Promise<string | undefined> => {
    if (!(await requireTrust('runs workflows'))) return undefined;
    const { specs, skipped } = declaredWorkflows(config.current);
    if (typeof name === 'string') {
      const spec = specs.find((w) => w.name === name);
      if (!spec)
        throw new Error(
          `no workflow named “${name}” (${skipped.find((w) => w.name === name)?.reason ?? 'not in runlens.workflows or launch.json'})`,
        );
      return launch(spec);
    }
    const picked = await pickWorkflow(specs, skipped);
    if (!picked) return undefined;
    if (picked.add) {
      await vscode.commands.executeCommand('workbench.action.openWorkspaceSettingsFile');
      return undefined;
    }
    if (picked.skip) {
      void vscode.window.showWarningMessage(`Runlens cannot run “${picked.skip.name}”: ${picked.skip.reason}.`);
      return undefined;
    }
    return picked.spec ? launch(picked.spec) : undefined;
  };

  const stopRun = (t?: Target): void => {
    // Only what this window launched or follows: never a team run (another machine's, or a published copy).
    const runId = t && 'runId' in t && t.source !== 'team' ? t.runId : undefined;
    const tail = runId ? tails.get(runId) : undefined;
    if (runId && tail) {
      tail.stop();
      tails.delete(runId);
      return;
    }
    if (!launcher.stop(runId)) void vscode.window.showInformationMessage('Runlens: no run launched from this window is running.');
  };

  const rerun = async (t?: Target): Promise<string | undefined> => {
    const target = await tree.target(t, 'Pick a run to run again', 'workspace');
    if (!target) return undefined;
    if (!(await requireTrust('re-runs workflows'))) return undefined;
    const d = rerunDecision(target.run, launcher, config.current);
    if ('refusal' in d) {
      void vscode.window.showWarningMessage(`Runlens does not re-run “${target.run.name}”: ${d.refusal}.`);
      return undefined;
    }
    return launch(d.spec);
  };

  const rerunLast = async (): Promise<string | undefined> => {
    if (!(await requireTrust('re-runs workflows'))) return undefined;
    let spec = launcher.lastSpec;
    if (!spec) {
      const last = lastRerunnable(tree.model.allRuns(), (id) => launcher.specOf(id));
      const d = last && rerunDecision(last, launcher, config.current);
      spec = d && 'spec' in d ? d.spec : undefined;
    }
    return spec ? launch(spec) : runWorkflow();
  };

  const attachLogFile = async (): Promise<string | undefined> => {
    const uris = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Attach',
      title: 'Runlens: follow a JSON-lines log file',
      filters: { 'Logs and JSON lines': ['log', 'jsonl', 'ndjson', 'json', 'txt'], 'All files': ['*'] },
    });
    const file = uris?.[0]?.fsPath;
    if (!file) return undefined;
    const handle = tailFile(store, file, { log: (m) => log.info(m) });
    tails.set(handle.runId, handle);
    log.info(`following ${file} as run ${handle.runId}`);
    void vscode.window.showInformationMessage(`Runlens is following ${path.basename(file)}. Stop it from the run's context menu (Stop).`);
    return handle.runId;
  };

  return s.commands.register({
    'runlens.runWorkflow': runWorkflow,
    'runlens.stopRun': stopRun,
    'runlens.rerun': rerun,
    'runlens.rerunLast': rerunLast,
    'runlens.attachLogFile': attachLogFile,
  });
}

type WorkflowItem = vscode.QuickPickItem & { spec?: WorkflowSpec; skip?: SkippedWorkflow; add?: boolean };

function pickWorkflow(specs: WorkflowSpec[], skipped: SkippedWorkflow[]): Thenable<WorkflowItem | undefined> {
  const items: WorkflowItem[] = [];
  const section = (label: string, list: WorkflowSpec[]) => {
    if (!list.length) return;
    items.push({ label, kind: vscode.QuickPickItemKind.Separator });
    for (const w of list)
      items.push({
        label: w.origin === 'file' ? `$(file-code) Run ${w.name}` : `$(play) ${w.name}`,
        description: w.command.join(' '),
        detail: w.detail,
        spec: w,
      });
  };
  section(
    'Workflows (runlens.workflows)',
    specs.filter((w) => w.origin === 'settings'),
  );
  section(
    'launch.json',
    specs.filter((w) => w.origin === 'launch'),
  );
  section(
    'Active file',
    specs.filter((w) => w.origin === 'file'),
  );
  if (skipped.length) {
    items.push({ label: 'Cannot run', kind: vscode.QuickPickItemKind.Separator });
    for (const w of skipped) items.push({ label: `$(warning) ${w.name}`, description: w.reason, skip: w });
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(gear) Add a workflow in settings…', add: true });
  return vscode.window.showQuickPick(items, {
    title: 'Runlens: Run Workflow',
    placeHolder: 'Pick a workflow to run and trace',
    matchOnDescription: true,
  });
}
