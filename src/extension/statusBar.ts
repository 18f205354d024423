/** The status bar item (collector port, live runs) and the actions menu it opens. */
import * as vscode from 'vscode';
import type { RemoteStore } from '../core/store/remote';
import type { ForwardStats } from '../core/upstream/forwarder';
import type { CollectorController } from './collectorController';
import type { CommandRegistry } from './commands/register';
import type { CommandId } from './commands/table';
import type { LiveConfig } from './config';
import type { Launcher } from './launcher';

export interface StatusBarDeps {
  store: RemoteStore;
  collector: CollectorController;
  config: LiveConfig;
  launcher: Launcher;
  commands: CommandRegistry;
}

/** Forwarding in a sentence: where to, what arrived, what waits, what was lost, the last error. */
function forwardingText(s: ForwardStats): string {
  const parts = [`${s.forwardedSpans} spans forwarded`, `${s.queuedSpans} queued`];
  if (s.droppedSpans) parts.push(`${s.droppedSpans} dropped`);
  const error = s.lastError && (s.lastSuccessAt ?? 0) < (s.lastErrorAt ?? 0) ? ` Last error: ${s.lastError}.` : '';
  return `Forwarding traces to ${s.endpoint}: ${parts.join(', ')}.${error}`;
}

export function registerStatusBar({ store, collector, config, launcher, commands }: StatusBarDeps): vscode.Disposable[] {
  const item = vscode.window.createStatusBarItem('runlens.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Runlens';
  item.command = 'runlens.statusMenu' satisfies CommandId;
  item.show();

  const update = () => {
    // From the store, not the tree model: the model folds changes in 100 ms later.
    const live = store.listRuns({ status: 'RUNNING' }).length;
    const liveText = live ? ` · ${live} live` : '';
    const c = collector.current;
    if (c) {
      item.text = `$(pulse) Runlens :${c.port}${liveText}`;
      const collecting = `Runlens collects OTLP/HTTP traces at ${c.endpoint}${c.fellBack ? ` (port ${config.current.collectorPort} was taken)` : ''}.`;
      item.tooltip = `${collecting}${c.forwardError ? ` Not forwarding: ${c.forwardError}.` : ''} Click for actions.`;
      item.backgroundColor = undefined;
      // Forwarding's counts live on the store's thread: asked for now, shown when they come.
      if (c.forwardEndpoint)
        void store.forwardStats().then(
          (s) => {
            if (s && collector.current === c) item.tooltip = `${collecting} ${forwardingText(s)} Click for actions.`;
          },
          () => undefined,
        );
    } else {
      item.text = `$(circle-slash) Runlens off${liveText}`;
      item.tooltip = collector.readOnly
        ? 'Another process owns the trace database; this window shows it read-only.'
        : collector.error
          ? `The collector could not start: ${collector.error}`
          : 'The Runlens collector is stopped: launched workflows are traced from their output only.';
      item.backgroundColor = collector.error ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    }
    item.accessibilityInformation = { label: item.text.replace(/\$\([^)]+\)\s*/g, '') };
  };

  const menu = async () => {
    const items: (vscode.QuickPickItem & { cmd: CommandId })[] = [];
    const c = collector.current;
    if (c) {
      items.push(
        { label: '$(copy) Copy Endpoint', description: c.endpoint, cmd: 'runlens.copyEndpoint' },
        { label: '$(debug-stop) Stop Collector', cmd: 'runlens.stopCollector' },
      );
    } else if (!collector.readOnly)
      items.push({ label: '$(play) Start Collector', description: `port ${config.current.collectorPort}`, cmd: 'runlens.startCollector' });
    items.push({ label: '$(run) Run Workflow…', cmd: 'runlens.runWorkflow' }, { label: '$(output) Open Logs', cmd: 'runlens.showLogs' });
    const picked = await vscode.window.showQuickPick(items, { title: 'Runlens' });
    if (picked) await vscode.commands.executeCommand(picked.cmd);
  };

  const storeSub = store.onChange((c) => {
    if (c.type === 'runs' || c.type === 'deleted' || c.type === 'cleared') update();
  });
  update();
  return [
    item,
    { dispose: () => storeSub.dispose() },
    collector.onDidChange(update),
    launcher.onDidChange(update),
    vscode.workspace.onDidGrantWorkspaceTrust(update),
    ...commands.register({ 'runlens.statusMenu': menu }),
  ];
}
