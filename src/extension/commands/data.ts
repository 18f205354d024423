/** The trace data itself: import files, export a run, copy its trace id, delete a run, clear all. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { toJaegerJson, toOtlpJson } from '../../core/export';
import { workspaceRoot } from '../config';
import type { Services } from '../services';
import { TimelinePanel } from '../timeline';
import type { Target } from './table';

export function registerDataCommands(s: Services): vscode.Disposable[] {
  const { store, tree, log, launcher, tails, config } = s;
  // `store` is the workspace store (imports, Delete, Clear All); what reads a run reads it from its own (target.store).

  const importTraceFile = async (given?: vscode.Uri[]): Promise<string[]> => {
    const uris = given?.length
      ? given
      : await vscode.window.showOpenDialog({
          canSelectMany: true,
          openLabel: 'Import',
          title: 'Runlens: import trace files (OTLP, Jaeger, Zipkin, Chrome trace events, Aspire export, JSON lines)',
          filters: { 'Trace files': ['json', 'jsonl', 'ndjson', 'zip'], 'All files': ['*'] },
        });
    if (!uris?.length) return [];
    // Never changes another run; says per file what was stored, already there, repaired or dropped.
    // Parsed and journalled on the store's thread: this one stays free.
    const { report, lines } = await store.importTracePaths(uris.map((u) => u.fsPath));
    for (const line of lines) log.info(`import: ${line}`);
    const summary =
      lines.length === 1
        ? lines[0]!
        : `${lines.length} files: ${report.runIds.length} run(s); ${report.failed} not imported, ${report.partial} in part`;
    if (report.failed || report.partial) {
      void vscode.window.showWarningMessage(`Runlens import: ${summary}`, 'Show Logs').then((a) => a && log.show());
    } else void vscode.window.showInformationMessage(`Runlens imported ${summary}`);
    return report.runIds;
  };

  const exportRun = async (t?: Target, format?: string, out?: vscode.Uri): Promise<vscode.Uri | undefined> => {
    const target = await tree.target(t, 'Pick a run to export');
    if (!target) return undefined;
    const formats = [
      { label: 'OTLP JSON', description: 'OpenTelemetry (round-trips into any OTLP tool)', id: 'otlp-json' },
      { label: 'Jaeger JSON', description: 'Jaeger UI “JSON File” upload', id: 'jaeger-json' },
    ];
    const fmt = format ?? (await vscode.window.showQuickPick(formats, { placeHolder: 'Export format' }))?.id;
    if (!fmt) return undefined;
    const spans = target.store.getSpans(target.run.id);
    const doc = fmt === 'jaeger-json' ? toJaegerJson(target.run, spans) : toOtlpJson(spans, target.run);
    const safe = target.run.name.replace(/[^\w.-]+/g, '_');
    const file = `${safe}-${target.run.id}.${fmt === 'jaeger-json' ? 'jaeger' : 'otlp'}.json`;
    const uri =
      out ??
      (await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(path.join(workspaceRoot() ?? process.cwd(), file)),
        filters: { JSON: ['json'] },
      }));
    if (!uri) return undefined;
    await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify(doc, null, 2)));
    log.info(`exported ${target.run.id} as ${fmt} to ${uri.fsPath}`);
    void vscode.window.showInformationMessage(`Runlens exported ${spans.length} spans to ${vscode.workspace.asRelativePath(uri)}.`);
    return uri;
  };

  const copyTraceId = async (t?: Target): Promise<string | undefined> => {
    const target = await tree.target(t, 'Pick a run');
    const id = target?.span?.traceId ?? target?.run.traceId;
    if (!id) {
      void vscode.window.showInformationMessage('Runlens: this run has no trace id.');
      return undefined;
    }
    await vscode.env.clipboard.writeText(id);
    vscode.window.setStatusBarMessage(`$(copy) Trace id ${id} copied`, 3000);
    return id;
  };

  const deleteRun = async (t?: Target): Promise<void> => {
    // Runs of the team store are never deleted from here.
    const target = await tree.target(t, 'Pick a run to delete', 'workspace');
    if (!target) return;
    const id = target.run.id;
    if (launcher.isActive(id)) launcher.stop(id);
    tails.get(id)?.stop();
    tails.delete(id);
    TimelinePanel.get(id)?.dispose();
    store.deleteRun(id);
  };

  const clearAll = async (): Promise<void> => {
    const n = tree.model.allRuns().length;
    if (!n) return;
    const ok = await vscode.window.showWarningMessage(
      `Delete all ${n} runs from ${vscode.workspace.asRelativePath(config.current.databasePath)}?`,
      { modal: true, detail: 'Their spans and output are removed from the trace database. This cannot be undone.' },
      'Delete All',
    );
    if (ok !== 'Delete All') return;
    TimelinePanel.disposeAll();
    store.clear();
  };

  return s.commands.register({
    'runlens.importTraceFile': importTraceFile,
    'runlens.exportRun': exportRun,
    'runlens.copyTraceId': copyTraceId,
    'runlens.deleteRun': deleteRun,
    'runlens.clearAll': clearAll,
  });
}
