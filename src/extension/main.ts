/**
 * activate(): wires the core (store, collector, runner, source resolution) to VS Code
 * adapters (runs tree, timeline, CodeLens/Problems/hover, status bar, commands). Data flows
 * one way: producers write the store; every view subscribes to the store's changes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { toJaegerJson, toOtlpJson } from '../core/export';
import { isFailedStatus, nowNs, RUN_STATUSES, type Run, type Span } from '../core/model';
import { beginRun, runEnvironment } from '../core/runner';
import { resolveFailure, resolveSource, type SourceLocation, type SourceOptions } from '../core/source';
import { RemoteStore, type RemoteCollector } from '../core/store/remote';
import { DatabaseLockedError, describeLock, type Store, type StoreChange } from '../core/store/store';
import { tailFile, type TailHandle } from '../core/tail';
import { failureLeaves } from '../core/tree';
import { readConfig, RELOAD_KEYS, SECTION, workspaceRoot, type Config } from './config';
import { FailureLensProvider } from './editorFeatures';
import { Launcher } from './launcher';
import { noIcons } from './markdown';
import { decideOpen, type OpenScope } from './openPolicy';
import { lastRerunnable, rerunBlocked, resolveRerun, type RerunDecision } from './rerun';
import { RunsTreeProvider } from './runsTree';
import { SourceIndex } from './sourceIndex';
import { registerTimelineSerializer, TimelinePanel, type TimelineContext } from './timeline';
import { runDescription, RUN_STATUS_MEANING, RunsTreeModel, stoppable, type RunsElement } from './treeModel';
import { debugConfigFor, forActiveFile, fromLaunchConfig, fromSetting, type SkippedWorkflow, type WorkflowSpec } from './workflowSources';

/** What commands accept: a tree element, or `{ runId, spanId? }` from lenses, hovers and tests. */
type Target = RunsElement | { runId: string; spanId?: string } | undefined;

/** The API the extension returns from activate() (used by the extension-host tests). */
export interface RunlensApi {
  store: Store;
  tree: RunsTreeModel;
  endpoint(): string | undefined;
  /** Wait until pending store changes reached the tree and the editor features. */
  flush(): void;
  sourceIndex: SourceIndex;
}

let state: Extension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<RunlensApi> {
  const log = vscode.window.createOutputChannel('Runlens', { log: true });
  context.subscriptions.push(log);
  try {
    state = await Extension.create(context, log);
    context.subscriptions.push(state);
    return state.api();
  } catch (err) {
    log.error(`activation failed: ${(err as Error).stack ?? err}`);
    void vscode.window.showErrorMessage(`Runlens could not start: ${(err as Error).message}`, 'Show Logs').then((a) => a && log.show());
    throw err;
  }
}

export async function deactivate(): Promise<void> {
  const s = state;
  state = undefined;
  await s?.close();
}

class Extension implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** The collector's lifetime (start/stop collector). */
  private collector: RemoteCollector | undefined;
  private collectorError: string | undefined;
  private readonly tails = new Map<string, TailHandle>();
  private readonly statusItem: vscode.StatusBarItem;
  private readonly treeProvider: RunsTreeProvider;
  private readonly treeView: vscode.TreeView<RunsElement>;
  private readonly lenses: FailureLensProvider;
  private readonly index: SourceIndex;
  private readonly launcher: Launcher;
  private readonly timeline: TimelineContext;
  private indexTimer: NodeJS.Timeout | undefined;
  private pendingIndex: StoreChange[] = [];
  private config: Config;

  static async create(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<Extension> {
    const config = readConfig(context.globalStorageUri.fsPath);
    let store: RemoteStore;
    let readOnly = false;
    // The store, its collector, imports and snapshots run on a thread of their own: ingest and
    // writing never block the extension host's thread (see src/core/store/remote.ts).
    const storeOpts = {
      path: config.databasePath,
      maxRuns: config.retentionMaxRuns,
      maxBytes: config.retentionMaxSizeMB * 1024 * 1024,
      maxAttrLength: config.attributesMaxLength,
      log: (m: string) => log.warn(m),
      workerFile: path.join(__dirname, 'storeWorker.js'),
    };
    try {
      store = await RemoteStore.open(storeOpts);
    } catch (err) {
      if (!(err instanceof DatabaseLockedError)) throw err;
      // Another window or `runlens serve` owns the file: show what it has, read-only.
      log.warn(err.message);
      store = await RemoteStore.open({ ...storeOpts, readOnly: true });
      readOnly = true;
      void vscode.window.showWarningMessage(`Runlens: ${err.message} Showing its runs read-only; new runs are recorded by that process.`, 'Show Logs').then((a) => a && log.show());
    }
    for (const w of store.warnings) void vscode.window.showWarningMessage(`Runlens: ${w}`);
    log.info(`database ${config.databasePath}${readOnly ? ' (read-only)' : ''}`);
    const ext = new Extension(context, log, store, config, readOnly);
    if (config.collectorEnabled && !readOnly) await ext.startCollector();
    ext.updateStatus();
    return ext;
  }

  private constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly store: RemoteStore,
    config: Config,
    private readonly readOnly: boolean,
  ) {
    this.config = config;
    const root = workspaceRoot();
    const displayPath = (f: string) => (root && f.startsWith(root + path.sep) ? path.relative(root, f) : f);
    const model = new RunsTreeModel(store, {
      resolve: (span, run) => this.locate(span, run),
      displayPath,
      rerunRefusal: (run) => rerunBlocked(run, this.launcher.specOf(run.id)),
      canStop: (run) => stoppable(run, (id) => this.launcher.isActive(id) || this.tails.has(id)),
    });
    this.treeProvider = new RunsTreeProvider(model);
    this.treeView = vscode.window.createTreeView('runlens.runs', { treeDataProvider: this.treeProvider, showCollapseAll: true, canSelectMany: false });
    this.treeProvider.view = this.treeView;
    this.index = new SourceIndex(store, { sourceOptions: (run) => this.sourceOptions(run) });
    this.lenses = new FailureLensProvider(this.index, () => ({ codeLens: this.config.codeLensEnabled, history: this.config.historyLensEnabled, problems: this.config.problemsEnabled }), {
      // Problems entries open on a click without asking us: only files that would open anyway.
      mayOpen: (file) => decideOpen(file, this.openScope()).open,
      canDebug: (runId) => {
        const run = this.store.getRun(runId);
        return !!run && rerunBlocked(run, this.launcher.specOf(runId)) === undefined;
      },
    });
    this.launcher = new Launcher(() => this.store, () => this.collector?.endpoint, log);
    this.statusItem = vscode.window.createStatusBarItem('runlens.status', vscode.StatusBarAlignment.Left, 50);
    this.statusItem.name = 'Runlens';
    this.statusItem.command = 'runlens.statusMenu';
    this.statusItem.show();
    this.timeline = {
      extensionUri: context.extensionUri,
      store,
      resolveSource: (span) => {
        const run = store.getRun(span.runId);
        return run ? this.locate(span, run) : undefined;
      },
      openSource: (loc) => this.openLocation(loc),
      log,
      onDidSelectSpan: (runId, spanId) => {
        if (!spanId || !this.treeView.visible) return;
        const el = model.findSpan(runId, spanId);
        if (el) void this.treeView.reveal(el, { select: true, focus: false }).then(undefined, () => undefined);
      },
    };

    const storeSub = store.onChange((c) => {
      this.treeProvider.onStoreChange(c);
      if (c.type !== 'output') {
        this.pendingIndex.push(c);
        this.indexTimer ??= setTimeout(() => this.flushIndex(), 300);
      }
      if (c.type === 'runs' || c.type === 'deleted' || c.type === 'cleared') this.updateStatus();
    });

    this.disposables.push(
      { dispose: () => storeSub.dispose() },
      this.treeProvider,
      this.treeView,
      this.lenses,
      this.launcher,
      this.statusItem,
      registerTimelineSerializer(this.timeline),
      { dispose: () => TimelinePanel.disposeAll() },
      vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this.lenses),
      vscode.languages.registerHoverProvider({ scheme: 'file' }, this.lenses),
      this.launcher.onDidChange(() => this.updateStatus()),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChange(e)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.updateStatus()),
    );
    this.registerCommands();
    this.treeProvider.updateMessage();
    // Problems need every run's facts (spans read, stacks parsed): off the activation path.
    const initial = setTimeout(() => this.lenses.updateDiagnostics(), 250);
    this.disposables.push({ dispose: () => clearTimeout(initial) });
  }

  api(): RunlensApi {
    return {
      store: this.store,
      tree: this.treeProvider.model,
      endpoint: () => this.collector?.endpoint,
      flush: () => {
        this.store.drainChanges();
        this.treeProvider.flush();
        this.flushIndex();
      },
      sourceIndex: this.index,
    };
  }

  // ------------------------------------------------------------------ collector

  private async startCollector(): Promise<void> {
    if (this.collector || this.readOnly) return;
    try {
      this.collector = await this.store.startCollector({ port: this.config.collectorPort });
      this.collectorError = undefined;
      describeLock(this.config.databasePath, { what: 'VS Code', endpoint: this.collector.endpoint });
      this.log.info(`collector listening on ${this.collector.endpoint}${this.collector.fellBack ? ` (port ${this.config.collectorPort} is taken)` : ''}`);
    } catch (err) {
      this.collectorError = (err as Error).message;
      this.log.error(`collector could not start: ${this.collectorError}`);
      void vscode.window.showErrorMessage(`Runlens collector could not start: ${this.collectorError}`, 'Show Logs').then((a) => a && this.log.show());
    }
    this.updateStatus();
  }

  private async stopCollector(): Promise<void> {
    const c = this.collector;
    this.collector = undefined;
    if (c) {
      await this.store.stopCollector();
      describeLock(this.config.databasePath, { what: 'VS Code' });
      this.log.info('collector stopped');
    }
    this.updateStatus();
  }

  private updateStatus(): void {
    // From the store, not the tree model: the model folds changes in 100 ms later.
    const live = this.store.listRuns({ status: 'RUNNING' }).length;
    const liveText = live ? ` · ${live} live` : '';
    if (this.collector) {
      this.statusItem.text = `$(pulse) Runlens :${this.collector.port}${liveText}`;
      this.statusItem.tooltip = `Runlens collects OTLP/HTTP traces at ${this.collector.endpoint}${this.collector.fellBack ? ` (port ${this.config.collectorPort} was taken)` : ''}. Click for actions.`;
      this.statusItem.backgroundColor = undefined;
    } else {
      this.statusItem.text = `$(circle-slash) Runlens off${liveText}`;
      this.statusItem.tooltip = this.readOnly
        ? 'Another process owns the trace database; this window shows it read-only.'
        : this.collectorError
          ? `The collector could not start: ${this.collectorError}`
          : 'The Runlens collector is stopped: launched workflows are traced from their output only.';
      this.statusItem.backgroundColor = this.collectorError ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    }
    this.statusItem.accessibilityInformation = { label: this.statusItem.text.replace(/\$\([^)]+\)\s*/g, '') };
  }

  // ------------------------------------------------------------------ config

  private onConfigChange(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration(SECTION)) return;
    const before = this.config;
    this.config = readConfig(this.context.globalStorageUri.fsPath);
    if (e.affectsConfiguration('runlens.pathMappings')) {
      this.index.reset();
      this.treeProvider.refreshAll();
    }
    if (e.affectsConfiguration('runlens.codeLens') || e.affectsConfiguration('runlens.problems') || e.affectsConfiguration('runlens.pathMappings')) this.lenses.refresh();
    if (before.collectorPort !== this.config.collectorPort || before.collectorEnabled !== this.config.collectorEnabled) {
      void this.stopCollector().then(() => (this.config.collectorEnabled ? this.startCollector() : undefined));
    }
    if (RELOAD_KEYS.some((k) => e.affectsConfiguration(k))) {
      void vscode.window.showInformationMessage('Runlens: reload the window to use the new database settings.', 'Reload Window').then((a) => a && vscode.commands.executeCommand('workbench.action.reloadWindow'));
    }
  }

  private flushIndex(): void {
    if (this.indexTimer) clearTimeout(this.indexTimer);
    this.indexTimer = undefined;
    const changes = this.pendingIndex;
    this.pendingIndex = [];
    if (changes.length && this.index.update(changes)) this.lenses.refresh();
  }

  /** Where a span's code is: the line that failed for a failed or hung step, else the step itself. */
  private locate(span: Span, run: Run): SourceLocation | undefined {
    const opts = this.sourceOptions(run);
    return isFailedStatus(span.status) ? resolveFailure(span, opts) : resolveSource(span, opts);
  }

  /** Where files named by trace data may open without asking: the workspace folders and the user's path mappings. */
  private openScope(): OpenScope {
    return { folders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath), pathMappings: this.config.pathMappings };
  }

  sourceOptions(run?: Run): SourceOptions {
    const root = workspaceRoot() ?? run?.cwd ?? process.cwd();
    return { workspaceRoot: root, pathMappings: this.config.pathMappings, cwd: run?.cwd ?? root, exists: (f) => fs.existsSync(f) };
  }

  // ------------------------------------------------------------------ commands

  private registerCommands(): void {
    const reg = (id: string, fn: (...args: any[]) => unknown) =>
      this.disposables.push(
        vscode.commands.registerCommand(id, async (...args: unknown[]) => {
          try {
            return await fn(...args);
          } catch (err) {
            this.log.error(`${id}: ${(err as Error).stack ?? err}`);
            void vscode.window.showErrorMessage(`Runlens: ${(err as Error).message}`, 'Show Logs').then((a) => a && this.log.show());
            return undefined;
          }
        }),
      );
    reg('runlens.runWorkflow', (name?: unknown) => this.runWorkflow(name));
    reg('runlens.stopRun', (t?: Target) => this.stopRun(t));
    reg('runlens.rerun', (t?: Target) => this.rerun(t));
    reg('runlens.rerunLast', () => this.rerunLast());
    reg('runlens.attachLogFile', () => this.attachLogFile());
    reg('runlens.importTraceFile', (uris?: vscode.Uri[]) => this.importTraceFile(uris));
    reg('runlens.openTimeline', (t?: Target) => this.openTimeline(t));
    reg('runlens.goToSource', (t?: Target) => this.goToSource(t));
    reg('runlens.compareWith', (t?: Target) => this.compareWith(t));
    reg('runlens.compareWithLastSuccess', (t?: Target) => this.compareWithLastSuccess(t));
    reg('runlens.exportRun', (t?: Target, format?: string, out?: vscode.Uri) => this.exportRun(t, format, out));
    reg('runlens.copyTraceId', (t?: Target) => this.copyTraceId(t));
    reg('runlens.deleteRun', (t?: Target) => this.deleteRun(t));
    reg('runlens.clearAll', () => this.clearAll());
    reg('runlens.filter', () => this.filter());
    reg('runlens.clearFilter', () => this.setFilter({ statuses: [], text: '' }));
    reg('runlens.toggleGroupByWorkflow', () => this.toggleGroup());
    reg('runlens.groupByWorkflow', () => this.toggleGroup(true));
    reg('runlens.ungroup', () => this.toggleGroup(false));
    reg('runlens.refresh', () => this.treeProvider.refreshAll());
    reg('runlens.showLogs', () => this.log.show());
    reg('runlens.copyEndpoint', () => this.copyEndpoint());
    reg('runlens.startCollector', () => this.startCollector());
    reg('runlens.stopCollector', () => this.stopCollector());
    reg('runlens.statusMenu', () => this.statusMenu());
    reg('runlens.revealRun', (t?: Target) => this.revealRun(t));
    reg('runlens.showStepHistory', (a?: { file: string; line: number; step: string }) => this.showStepHistory(a));
    reg('runlens.debugFromHere', (t?: Target) => this.debugFromHere(t));
  }

  /** A command's target as run (+ span), asking with a QuickPick when there is none. */
  private async target(t: Target, placeHolder: string): Promise<{ run: Run; span?: Span } | undefined> {
    let runId: string | undefined;
    let spanId: string | undefined;
    if (t && 'kind' in t) {
      if (t.kind === 'group') return undefined;
      runId = t.runId;
      spanId = t.kind === 'span' ? t.spanId : undefined;
    } else if (t && typeof t === 'object' && 'runId' in t) {
      runId = t.runId;
      spanId = t.spanId;
    } else {
      const sel = this.treeView.selection[0];
      if (sel && sel.kind !== 'group' && this.treeView.visible) {
        runId = sel.runId;
        spanId = sel.kind === 'span' ? sel.spanId : undefined;
      } else {
        runId = await this.pickRun(placeHolder);
      }
    }
    if (!runId) return undefined;
    const run = this.store.getRun(runId);
    if (!run) {
      void vscode.window.showWarningMessage(`Runlens: run ${runId} is no longer in the database.`);
      return undefined;
    }
    const span = spanId ? this.store.getSpan(run.id, spanId) : undefined;
    return { run, span };
  }

  private async pickRun(placeHolder: string, filter: (r: Run) => boolean = () => true): Promise<string | undefined> {
    const runs = this.treeProvider.model.allRuns().filter(filter);
    if (!runs.length) {
      void vscode.window.showInformationMessage('Runlens: no runs yet. Run a workflow (Runlens: Run Workflow…) or send OTLP traces to the collector.');
      return undefined;
    }
    const now = nowNs();
    const items = runs.slice(0, 200).map((r) => ({ label: noIcons(r.name), description: runDescription(r, now), detail: r.id, id: r.id }));
    const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true });
    return picked?.id;
  }

  private variableContext() {
    const root = workspaceRoot() ?? process.cwd();
    return { workspaceFolder: root, file: vscode.window.activeTextEditor?.document.uri.scheme === 'file' ? vscode.window.activeTextEditor.document.uri.fsPath : undefined, env: process.env, userHome: process.env.HOME };
  }

  /** Workflows from settings, launch.json and the active file. */
  private workflows(): { specs: WorkflowSpec[]; skipped: SkippedWorkflow[] } {
    const ctx = this.variableContext();
    const specs: WorkflowSpec[] = [];
    const skipped: SkippedWorkflow[] = [];
    const take = (r: WorkflowSpec | SkippedWorkflow | undefined) => {
      if (!r) return;
      if ('reason' in r) skipped.push(r);
      else specs.push(r);
    };
    for (const w of this.config.workflows) take(fromSetting(w, ctx));
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const launch = vscode.workspace.getConfiguration('launch', folder.uri).get<unknown[]>('configurations', []) ?? [];
      for (const c of launch) if (c && typeof c === 'object') take(fromLaunchConfig(c as Record<string, unknown>, { ...ctx, workspaceFolder: folder.uri.fsPath }, { python: this.config.pythonPath }));
    }
    const ed = vscode.window.activeTextEditor;
    if (ed && ed.document.uri.scheme === 'file') take(forActiveFile(ed.document.uri.fsPath, ed.document.languageId, ctx, { python: this.config.pythonPath }));
    return { specs, skipped };
  }

  private async requireTrust(what: string): Promise<boolean> {
    if (vscode.workspace.isTrusted) return true;
    const a = await vscode.window.showWarningMessage(`Runlens ${what} only in a trusted workspace: the commands come from this workspace's settings.`, 'Manage Workspace Trust');
    if (a) await vscode.commands.executeCommand('workbench.trust.manage');
    return false;
  }

  /** The QuickPick; with a name (keybindings, tasks, tests) that workflow runs directly. */
  private async runWorkflow(name?: unknown): Promise<string | undefined> {
    if (!(await this.requireTrust('runs workflows'))) return undefined;
    const { specs, skipped } = this.workflows();
    if (typeof name === 'string') {
      const spec = specs.find((s) => s.name === name);
      if (!spec) throw new Error(`no workflow named “${name}” (${skipped.find((s) => s.name === name)?.reason ?? 'not in runlens.workflows or launch.json'})`);
      return this.launch(spec);
    }
    type Item = vscode.QuickPickItem & { spec?: WorkflowSpec; skip?: SkippedWorkflow; add?: boolean };
    const items: Item[] = [];
    const section = (label: string, list: WorkflowSpec[]) => {
      if (!list.length) return;
      items.push({ label, kind: vscode.QuickPickItemKind.Separator });
      for (const s of list) items.push({ label: s.origin === 'file' ? `$(file-code) Run ${s.name}` : `$(play) ${s.name}`, description: s.command.join(' '), detail: s.detail, spec: s });
    };
    section('Workflows (runlens.workflows)', specs.filter((s) => s.origin === 'settings'));
    section('launch.json', specs.filter((s) => s.origin === 'launch'));
    section('Active file', specs.filter((s) => s.origin === 'file'));
    if (skipped.length) {
      items.push({ label: 'Cannot run', kind: vscode.QuickPickItemKind.Separator });
      for (const s of skipped) items.push({ label: `$(warning) ${s.name}`, description: s.reason, skip: s });
    }
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(gear) Add a workflow in settings…', add: true });
    const picked = await vscode.window.showQuickPick(items, { title: 'Runlens: Run Workflow', placeHolder: 'Pick a workflow to run and trace', matchOnDescription: true });
    if (!picked) return undefined;
    if (picked.add) {
      await vscode.commands.executeCommand('workbench.action.openWorkspaceSettingsFile');
      return undefined;
    }
    if (picked.skip) {
      void vscode.window.showWarningMessage(`Runlens cannot run “${picked.skip.name}”: ${picked.skip.reason}.`);
      return undefined;
    }
    return picked.spec ? this.launch(picked.spec) : undefined;
  }

  private launch(spec: WorkflowSpec): string {
    const runId = this.launcher.start(spec);
    this.treeProvider.flush();
    const el = this.treeProvider.model.runElement(runId);
    if (this.treeView.visible) void this.treeView.reveal(el, { select: true, focus: false }).then(undefined, () => undefined);
    return runId;
  }

  private stopRun(t?: Target): void {
    const runId = t && 'runId' in t ? t.runId : undefined;
    if (runId && this.tails.has(runId)) {
      this.tails.get(runId)!.stop();
      this.tails.delete(runId);
      return;
    }
    if (!this.launcher.stop(runId)) void vscode.window.showInformationMessage('Runlens: no run launched from this window is running.');
  }

  /** What re-running a recorded run starts, resolved now (see rerun.ts). */
  private rerunDecision(run: Run): RerunDecision {
    return resolveRerun(run, { windowSpec: this.launcher.specOf(run.id), declared: this.workflows().specs, fallbackCwd: workspaceRoot() ?? process.cwd() });
  }

  private specForRun(run: Run): WorkflowSpec | undefined {
    const d = this.rerunDecision(run);
    return 'spec' in d ? d.spec : undefined;
  }

  private async rerun(t?: Target): Promise<string | undefined> {
    const target = await this.target(t, 'Pick a run to run again');
    if (!target) return undefined;
    if (!(await this.requireTrust('re-runs workflows'))) return undefined;
    const d = this.rerunDecision(target.run);
    if ('refusal' in d) {
      void vscode.window.showWarningMessage(`Runlens does not re-run “${target.run.name}”: ${d.refusal}.`);
      return undefined;
    }
    return this.launch(d.spec);
  }

  private async rerunLast(): Promise<string | undefined> {
    if (!(await this.requireTrust('re-runs workflows'))) return undefined;
    const spec = this.launcher.lastSpec ?? (() => {
      const last = lastRerunnable(this.treeProvider.model.allRuns(), (id) => this.launcher.specOf(id));
      return last ? this.specForRun(last) : undefined;
    })();
    if (!spec) return this.runWorkflow();
    return this.launch(spec);
  }

  private async attachLogFile(): Promise<string | undefined> {
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Attach', title: 'Runlens: follow a JSON-lines log file', filters: { 'Logs and JSON lines': ['log', 'jsonl', 'ndjson', 'json', 'txt'], 'All files': ['*'] } });
    const file = uris?.[0]?.fsPath;
    if (!file) return undefined;
    const handle = tailFile(this.store, file, { log: (m) => this.log.info(m) });
    this.tails.set(handle.runId, handle);
    this.log.info(`following ${file} as run ${handle.runId}`);
    void vscode.window.showInformationMessage(`Runlens is following ${path.basename(file)}. Stop it from the run's context menu (Stop).`);
    return handle.runId;
  }

  private async importTraceFile(given?: vscode.Uri[]): Promise<string[]> {
    const uris = given?.length ? given : await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: 'Import', title: 'Runlens: import OTLP JSON, Jaeger JSON, execution-trace JSON or JSON lines', filters: { JSON: ['json', 'jsonl', 'ndjson'], 'All files': ['*'] } });
    if (!uris?.length) return [];
    // Never changes another run; says per file what was stored, already there, repaired or dropped.
    // Parsed and journalled on the store's thread: this one stays free.
    const { report, lines } = await this.store.importTracePaths(uris.map((u) => u.fsPath));
    for (const line of lines) this.log.info(`import: ${line}`);
    const summary = lines.length === 1 ? lines[0]! : `${lines.length} files: ${report.runIds.length} run(s); ${report.failed} not imported, ${report.partial} in part`;
    if (report.failed || report.partial) {
      void vscode.window.showWarningMessage(`Runlens import: ${summary}`, 'Show Logs').then((a) => a && this.log.show());
    } else void vscode.window.showInformationMessage(`Runlens imported ${summary}`);
    return report.runIds;
  }

  private async openTimeline(t?: Target): Promise<void> {
    const target = await this.target(t, 'Pick a run to open in the timeline');
    if (!target) return;
    TimelinePanel.show(this.timeline, target.run.id, target.span?.spanId);
  }

  private async goToSource(t?: Target): Promise<boolean> {
    const target = await this.target(t, 'Pick a run');
    if (!target) return false;
    const span = target.span ?? this.firstFailure(target.run);
    if (!span) {
      void vscode.window.showInformationMessage(`Runlens: “${target.run.name}” has no failed step; pick a step to go to its code.`);
      return false;
    }
    const loc = this.locate(span, target.run);
    if (loc && fs.existsSync(loc.file)) {
      await this.openLocation(loc);
      return true;
    }
    if (loc) this.log.info(`${span.name}: ${loc.file}:${loc.line} is not in this workspace (set runlens.pathMappings for container or remote paths)`);
    return this.symbolSearch(span.name, loc?.file);
  }

  /** Where a run's failure starts: the core's failure leaves (deepest, last attempt), not the root span that re-raised it. */
  private firstFailure(run: Run): Span | undefined {
    return failureLeaves(this.store.getSpans(run.id))[0];
  }

  /** Last resort: a workspace symbol named like the step (a LangGraph node, an @step method). */
  private async symbolSearch(step: string, missingFile?: string): Promise<boolean> {
    const name = step.split(/[.:/ ]/).filter(Boolean).pop() ?? step;
    const symbols = ((await vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', name)) ?? []).filter(
      (s) => s.name === name && [vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Class].includes(s.kind) && s.location.uri.scheme === 'file',
    );
    if (!symbols.length) {
      void vscode.window.showInformationMessage(
        missingFile
          ? `Runlens: “${step}” points at ${missingFile}, which is not in this workspace, and no function “${name}” was found. Map the path with the runlens.pathMappings setting.`
          : `Runlens: no source location is known for “${step}” (no code.* attributes, no workspace stack frame, no function named “${name}”).`,
      );
      return false;
    }
    let chosen = symbols[0]!;
    if (symbols.length > 1) {
      const picked = await vscode.window.showQuickPick(
        symbols.map((s) => ({ label: s.name, description: vscode.workspace.asRelativePath(s.location.uri), detail: s.containerName, s })),
        { placeHolder: `Several functions are named “${name}”: which one is the step?` },
      );
      if (!picked) return false;
      chosen = picked.s;
    }
    await vscode.window.showTextDocument(chosen.location.uri, { selection: new vscode.Range(chosen.location.range.start, chosen.location.range.start) });
    return true;
  }

  /** Open a file from a trace at a line; paths are untrusted: inside the workspace or mapped folders it opens, anything else is asked about. */
  private async openLocation(loc: { file: string; line: number; column?: number }): Promise<void> {
    const d = decideOpen(loc.file, this.openScope());
    const file = d.file;
    if (!d.open && d.missing) {
      void vscode.window.showWarningMessage(`Runlens: ${d.file} is not in this workspace. Map container paths with the runlens.pathMappings setting.`);
      return;
    }
    if (!d.open) {
      // The path comes from trace data: never open something outside the workspace silently.
      const ok = await vscode.window.showWarningMessage(
        `Open ${d.file}?`,
        { modal: true, detail: `A trace names this file, and ${d.reason}. Trace data can name any file on this machine; open it only if you expected it. (Folders you map with runlens.pathMappings open without asking.)` },
        'Open File',
      );
      if (ok !== 'Open File') return;
    }
    const pos = new vscode.Position(Math.max(0, loc.line - 1), Math.max(0, (loc.column ?? 1) - 1));
    await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(pos, pos), preview: true });
  }

  private async compareWith(t?: Target): Promise<void> {
    if (!t && TimelinePanel.current) return TimelinePanel.current.pickCompare();
    const target = await this.target(t, 'Pick the run to compare');
    if (!target) return;
    await TimelinePanel.show(this.timeline, target.run.id).pickCompare();
  }

  private async compareWithLastSuccess(t?: Target): Promise<void> {
    const target = await this.target(t, 'Pick the run to compare');
    if (!target) return;
    const wf = target.run.workflow ?? target.run.name;
    const base = this.treeProvider.model.allRuns().find((r) => r.id !== target.run.id && (r.workflow ?? r.name) === wf && r.status === 'SUCCESS' && r.startNs < target.run.startNs);
    const panel = TimelinePanel.show(this.timeline, target.run.id, target.span?.spanId);
    if (!base) {
      void vscode.window.showInformationMessage(`Runlens: no earlier successful run of “${wf}” to compare with; pick another run.`);
      return panel.pickCompare();
    }
    panel.compareWith(base.id);
  }

  private async exportRun(t?: Target, format?: string, out?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const target = await this.target(t, 'Pick a run to export');
    if (!target) return undefined;
    const fmt =
      format ??
      (
        await vscode.window.showQuickPick(
          [
            { label: 'OTLP JSON', description: 'OpenTelemetry (round-trips into any OTLP tool)', id: 'otlp-json' },
            { label: 'Jaeger JSON', description: 'Jaeger UI “JSON File” upload', id: 'jaeger-json' },
          ],
          { placeHolder: 'Export format' },
        )
      )?.id;
    if (!fmt) return undefined;
    const spans = this.store.getSpans(target.run.id);
    const doc = fmt === 'jaeger-json' ? toJaegerJson(target.run, spans) : toOtlpJson(spans, target.run);
    const safe = target.run.name.replace(/[^\w.-]+/g, '_');
    const uri =
      out ??
      (await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(path.join(workspaceRoot() ?? process.cwd(), `${safe}-${target.run.id}.${fmt === 'jaeger-json' ? 'jaeger' : 'otlp'}.json`)),
        filters: { JSON: ['json'] },
      }));
    if (!uri) return undefined;
    await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify(doc, null, 2)));
    this.log.info(`exported ${target.run.id} as ${fmt} to ${uri.fsPath}`);
    void vscode.window.showInformationMessage(`Runlens exported ${spans.length} spans to ${vscode.workspace.asRelativePath(uri)}.`);
    return uri;
  }

  private async copyTraceId(t?: Target): Promise<string | undefined> {
    const target = await this.target(t, 'Pick a run');
    const id = target?.span?.traceId ?? target?.run.traceId;
    if (!id) {
      void vscode.window.showInformationMessage('Runlens: this run has no trace id.');
      return undefined;
    }
    await vscode.env.clipboard.writeText(id);
    vscode.window.setStatusBarMessage(`$(copy) Trace id ${id} copied`, 3000);
    return id;
  }

  private async deleteRun(t?: Target): Promise<void> {
    const target = await this.target(t, 'Pick a run to delete');
    if (!target) return;
    if (this.launcher.isActive(target.run.id)) this.launcher.stop(target.run.id);
    this.tails.get(target.run.id)?.stop();
    this.tails.delete(target.run.id);
    TimelinePanel.get(target.run.id)?.dispose();
    this.store.deleteRun(target.run.id);
  }

  private async clearAll(): Promise<void> {
    const n = this.treeProvider.model.allRuns().length;
    if (!n) return;
    const ok = await vscode.window.showWarningMessage(`Delete all ${n} runs from ${vscode.workspace.asRelativePath(this.config.databasePath)}?`, { modal: true, detail: 'Their spans and output are removed from the trace database. This cannot be undone.' }, 'Delete All');
    if (ok !== 'Delete All') return;
    TimelinePanel.disposeAll();
    this.store.clear();
  }

  private setFilter(f: { statuses?: Run['status'][]; text?: string }): void {
    this.treeProvider.model.setFilter(f);
    this.treeProvider.refreshAll();
  }

  private async filter(): Promise<void> {
    const cur = this.treeProvider.model.getFilter();
    const statuses = await vscode.window.showQuickPick(
      RUN_STATUSES.map((s) => ({ label: s, description: RUN_STATUS_MEANING[s], picked: cur.statuses.includes(s) })),
      { canPickMany: true, title: 'Runlens: filter runs (1/2) — statuses to show (none = all)' },
    );
    if (!statuses) return;
    const text = await vscode.window.showInputBox({ title: 'Runlens: filter runs (2/2) — text in a run or step name', value: cur.text, placeHolder: 'e.g. validate (empty = any)' });
    if (text === undefined) return;
    this.setFilter({ statuses: statuses.map((s) => s.label as Run['status']), text });
  }

  private toggleGroup(on?: boolean): void {
    this.treeProvider.model.setGroupByWorkflow(on ?? !this.treeProvider.model.groupByWorkflow);
    this.treeProvider.refreshAll();
  }

  private async copyEndpoint(): Promise<string | undefined> {
    if (!this.collector) {
      void vscode.window.showInformationMessage('Runlens: the collector is stopped.', 'Start Collector').then((a) => a && this.startCollector());
      return undefined;
    }
    await vscode.env.clipboard.writeText(this.collector.endpoint);
    vscode.window.setStatusBarMessage(`$(copy) ${this.collector.endpoint} copied — set OTEL_EXPORTER_OTLP_ENDPOINT to it`, 4000);
    return this.collector.endpoint;
  }

  private async statusMenu(): Promise<void> {
    const items: (vscode.QuickPickItem & { cmd: string })[] = [];
    if (this.collector) {
      items.push(
        { label: '$(copy) Copy Endpoint', description: this.collector.endpoint, cmd: 'runlens.copyEndpoint' },
        { label: '$(debug-stop) Stop Collector', cmd: 'runlens.stopCollector' },
      );
    } else if (!this.readOnly) items.push({ label: '$(play) Start Collector', description: `port ${this.config.collectorPort}`, cmd: 'runlens.startCollector' });
    items.push({ label: '$(run) Run Workflow…', cmd: 'runlens.runWorkflow' }, { label: '$(output) Open Logs', cmd: 'runlens.showLogs' });
    const picked = await vscode.window.showQuickPick(items, { title: 'Runlens' });
    if (picked) await vscode.commands.executeCommand(picked.cmd);
  }

  private async revealRun(t?: Target): Promise<void> {
    const target = await this.target(t, 'Pick a run');
    if (!target) return;
    await vscode.commands.executeCommand('runlens.runs.focus');
    this.treeProvider.flush();
    const m = this.treeProvider.model;
    const el = (target.span && m.findSpan(target.run.id, target.span.spanId)) || m.runElement(target.run.id);
    await this.treeView.reveal(el, { select: true, focus: true, expand: true });
  }

  private async showStepHistory(a?: { file: string; line: number; step: string }): Promise<void> {
    if (!a) return;
    const h = this.index.historyIn(a.file).find((x) => x.line === a.line && x.step === a.step);
    if (!h) return;
    const picked = await vscode.window.showQuickPick(
      h.samples.map((s) => ({
        label: `${s.status === 'OK' ? '$(pass)' : s.status === 'RUNNING' ? '$(loading~spin)' : '$(error)'} ${noIcons(s.runName)}`,
        description: `${s.status}${s.durationMs !== undefined ? ` · ${(s.durationMs / 1000).toFixed(2)} s` : ''}`,
        detail: `${new Date(Number(s.runStartNs / 1_000_000n)).toLocaleString()} · run ${s.runId}`,
        s,
      })),
      { title: `Runs of step “${a.step}”`, placeHolder: 'Pick a run to open its timeline at this step', matchOnDescription: true },
    );
    if (picked) TimelinePanel.show(this.timeline, picked.s.runId, picked.s.spanId);
  }

  /** Breakpoint at the failing line, then the same workflow under the debugger, traced as a new run. */
  private async debugFromHere(t?: Target): Promise<boolean> {
    const target = await this.target(t, 'Pick a failed run');
    if (!target) return false;
    if (!(await this.requireTrust('debugs workflows'))) return false;
    const span = target.span ?? this.firstFailure(target.run);
    const loc: SourceLocation | undefined = span ? resolveFailure(span, this.sourceOptions(target.run)) : undefined;
    const d = this.rerunDecision(target.run);
    if ('refusal' in d) {
      void vscode.window.showWarningMessage(`Runlens does not debug “${target.run.name}”: ${d.refusal}.`);
      return false;
    }
    const spec = d.spec;
    const config = debugConfigFor(spec);
    if (!config) {
      void vscode.window.showWarningMessage(`Runlens: cannot debug “${target.run.name}”: its command is neither python nor node.`);
      return false;
    }
    if (loc && decideOpen(loc.file, this.openScope()).open) {
      const bp = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(loc.file), new vscode.Position(loc.line - 1, 0)));
      const exists = vscode.debug.breakpoints.some((b) => b instanceof vscode.SourceBreakpoint && b.location.uri.fsPath === loc.file && b.location.range.start.line === loc.line - 1);
      if (!exists) vscode.debug.addBreakpoints([bp]);
    }
    const run = beginRun(this.store, { name: `${spec.name} (debug)`, workflow: spec.name, source: 'launch', command: spec.command, cwd: spec.cwd, attributes: { 'runlens.debug': true } });
    const env = runEnvironment(spec.env, { ...run, name: spec.name }, this.collector?.endpoint, this.collector?.token);
    delete env.RUNLENS_STDOUT_CAPTURED; // the debugger owns stdout: the helpers post their events instead
    const folder = vscode.workspace.workspaceFolders?.find((f) => spec.cwd.startsWith(f.uri.fsPath)) ?? vscode.workspace.workspaceFolders?.[0];
    const sessionName = String(config.name);
    // The process's exit code, from the debug adapter's `exited` event (of the session or,
    // with js-debug, of its child session for the process).
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
      sub.dispose();
      tracker.dispose();
      this.store.endRun(run.id, { exitCode });
    });
    this.disposables.push(sub, tracker);
    const started = await vscode.debug.startDebugging(folder, { ...config, env } as unknown as vscode.DebugConfiguration);
    if (!started) {
      sub.dispose();
      tracker.dispose();
      this.store.endRun(run.id, { exitCode: 127 });
      void vscode.window.showErrorMessage(`Runlens: the debugger did not start (is the ${config.type === 'debugpy' ? 'Python' : 'JavaScript'} debugger installed?).`);
    }
    return started;
  }

  // ------------------------------------------------------------------ lifetime

  async close(): Promise<void> {
    this.dispose();
    for (const t of this.tails.values()) t.stop();
    this.tails.clear();
    await this.stopCollector().catch(() => undefined);
    await this.store.close();
  }

  dispose(): void {
    if (this.indexTimer) clearTimeout(this.indexTimer);
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (err) {
        this.log.warn(`dispose: ${(err as Error).message}`);
      }
    }
  }
}
