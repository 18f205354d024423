/**
 * What this window can run: the workflows declared in settings and launch.json and the active
 * file, what re-running a recorded run would start, and the trust gate in front of both.
 */
import * as vscode from 'vscode';
import type { Run } from '../core/model';
import { workspaceRoot, type Config } from './config';
import type { Launcher } from './launcher';
import { resolveRerun, type RerunDecision } from './rerun';
import { forActiveFile, fromLaunchConfig, fromSetting, type SkippedWorkflow, type WorkflowSpec } from './workflowSources';

function variableContext() {
  const root = workspaceRoot() ?? process.cwd();
  const doc = vscode.window.activeTextEditor?.document;
  return {
    workspaceFolder: root,
    file: doc?.uri.scheme === 'file' ? doc.uri.fsPath : undefined,
    env: process.env,
    userHome: process.env.HOME,
  };
}

/** Workflows from settings, launch.json and the active file (and the ones that cannot run, with why). */
export function declaredWorkflows(config: Config): { specs: WorkflowSpec[]; skipped: SkippedWorkflow[] } {
  const ctx = variableContext();
  const specs: WorkflowSpec[] = [];
  const skipped: SkippedWorkflow[] = [];
  const take = (r: WorkflowSpec | SkippedWorkflow | undefined) => {
    if (!r) return;
    if ('reason' in r) skipped.push(r);
    else specs.push(r);
  };
  const interpreters = { python: config.pythonPath };
  for (const w of config.workflows) take(fromSetting(w, ctx));
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const launch = vscode.workspace.getConfiguration('launch', folder.uri).get<unknown[]>('configurations', []) ?? [];
    for (const c of launch)
      if (c && typeof c === 'object')
        take(fromLaunchConfig(c as Record<string, unknown>, { ...ctx, workspaceFolder: folder.uri.fsPath }, interpreters));
  }
  const ed = vscode.window.activeTextEditor;
  if (ed && ed.document.uri.scheme === 'file') take(forActiveFile(ed.document.uri.fsPath, ed.document.languageId, ctx, interpreters));
  return { specs, skipped };
}

/** What re-running a recorded run starts, resolved now (see rerun.ts). */
export function rerunDecision(run: Run, launcher: Launcher, config: Config): RerunDecision {
  return resolveRerun(run, {
    windowSpec: launcher.specOf(run.id),
    declared: declaredWorkflows(config).specs,
    fallbackCwd: workspaceRoot() ?? process.cwd(),
  });
}

/** Commands from workspace settings run only in a trusted workspace; says so and offers to manage trust. */
export async function requireTrust(what: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const a = await vscode.window.showWarningMessage(
    `Runlens ${what} only in a trusted workspace: the commands come from this workspace's settings.`,
    'Manage Workspace Trust',
  );
  if (a) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}
