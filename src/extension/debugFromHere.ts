/**
 * Debug from Here: a breakpoint at the failing line, then the same workflow under the debugger,
 * traced as a new run. Each debug session's listeners live as long as that session: they are
 * disposed when it ends (or when the extension goes), never kept for the extension's lifetime.
 */
import * as vscode from 'vscode';
import { beginRun, runEnvironment } from '../core/runner';
import type { Target } from './commands/table';
import type { Services } from './services';
import { firstFailure } from './sources';
import { debugConfigFor } from './workflowSources';
import { requireTrust, rerunDecision } from './workflows';

export function registerDebugFromHere(s: Services): vscode.Disposable[] {
  const { store, tree, sources, launcher, config, collector } = s;
  /** Listeners of debug sessions still going. */
  const sessions = new Set<vscode.Disposable>();

  const debugFromHere = async (t?: Target): Promise<boolean> => {
    const target = await tree.target(t, 'Pick a failed run', 'workspace');
    if (!target) return false;
    if (!(await requireTrust('debugs workflows'))) return false;
    const span = target.span ?? firstFailure(store, target.run);
    const loc = span ? sources.failureLine(span, target.run) : undefined;
    const d = rerunDecision(target.run, launcher, config.current);
    if ('refusal' in d) {
      void vscode.window.showWarningMessage(`Runlens does not debug “${target.run.name}”: ${d.refusal}.`);
      return false;
    }
    const spec = d.spec;
    const debugConfig = debugConfigFor(spec);
    if (!debugConfig) {
      void vscode.window.showWarningMessage(`Runlens: cannot debug “${target.run.name}”: its command is neither python nor node.`);
      return false;
    }
    if (loc && sources.mayOpen(loc.file)) {
      const line = loc.line - 1;
      const exists = vscode.debug.breakpoints.some(
        (b) => b instanceof vscode.SourceBreakpoint && b.location.uri.fsPath === loc.file && b.location.range.start.line === line,
      );
      if (!exists)
        vscode.debug.addBreakpoints([
          new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(loc.file), new vscode.Position(line, 0))),
        ]);
    }
    const run = beginRun(store, {
      name: `${spec.name} (debug)`,
      workflow: spec.name,
      source: 'launch',
      command: spec.command,
      cwd: spec.cwd,
      attributes: { 'runlens.debug': true },
    });
    const c = collector.current;
    const env = runEnvironment(spec.env, { ...run, name: spec.name }, c?.endpoint, c?.token, c?.grpcEndpoint);
    delete env.RUNLENS_STDOUT_CAPTURED; // the debugger owns stdout: the helpers post their events instead
    const folders = vscode.workspace.workspaceFolders;
    const folder = folders?.find((f) => spec.cwd.startsWith(f.uri.fsPath)) ?? folders?.[0];
    const session = watchSession(String(debugConfig.name), (exitCode) => {
      sessions.delete(session);
      store.endRun(run.id, { exitCode });
    });
    sessions.add(session);
    const started = await vscode.debug.startDebugging(folder, { ...debugConfig, env } as unknown as vscode.DebugConfiguration);
    if (!started) {
      session.dispose();
      sessions.delete(session);
      store.endRun(run.id, { exitCode: 127 });
      void vscode.window.showErrorMessage(
        `Runlens: the debugger did not start (is the ${debugConfig.type === 'debugpy' ? 'Python' : 'JavaScript'} debugger installed?).`,
      );
    }
    return started;
  };

  return [
    ...s.commands.register({ 'runlens.debugFromHere': debugFromHere }),
    {
      dispose: () => {
        for (const d of sessions) d.dispose();
        sessions.clear();
      },
    },
  ];
}

/**
 * Listen for the end of the debug session named `sessionName`, with the process's exit code
 * from the debug adapter's `exited` event (of the session or, with js-debug, of its child
 * session for the process). Disposes itself when the session ends.
 */
function watchSession(sessionName: string, onEnd: (exitCode: number | undefined) => void): vscode.Disposable {
  let exitCode: number | undefined;
  const ours = (s: vscode.DebugSession) => s.name === sessionName || s.parentSession?.name === sessionName;
  const tracker = vscode.debug.registerDebugAdapterTrackerFactory('*', {
    createDebugAdapterTracker: (s) =>
      ours(s)
        ? {
            onDidSendMessage: (m: { type?: string; event?: string; body?: { exitCode?: number } }) => {
              if (m.type === 'event' && m.event === 'exited' && typeof m.body?.exitCode === 'number') exitCode = m.body.exitCode;
            },
          }
        : undefined,
  });
  const sub = vscode.debug.onDidTerminateDebugSession((s) => {
    if (s.name !== sessionName) return;
    dispose();
    onEnd(exitCode);
  });
  const dispose = () => {
    sub.dispose();
    tracker.dispose();
  };
  return { dispose };
}
