/**
 * The Runs view: a TreeDataProvider that maps the rows of both stores' trees (treeSources.ts)
 * onto TreeItems. Each store's changes are batched (100 ms) and refresh only the rows they
 * touch; a 1 s tick refreshes the rows of running runs (live elapsed time).
 */
import * as vscode from 'vscode';
import type { StoreChange } from '../core/store/store';
import { commandRef } from './commands/table';
import { contextTooltip } from './treeItems';
import { errorLogsTooltip } from './treeLogs';
import type { RunContext } from '../core/context/types';
import type { SourceId, SourcesTreeModel, TreeNode } from './treeSources';

export class RunsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private pending: { source: SourceId; change: StoreChange }[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly tick: NodeJS.Timeout;
  view: vscode.TreeView<TreeNode> | undefined;

  constructor(
    readonly model: SourcesTreeModel,
    /** A run's context (src/core/context), read from its store only when its tooltip is shown. */
    private readonly contextOf?: (source: SourceId, runId: string) => RunContext | undefined,
  ) {
    this.tick = setInterval(() => {
      const rows = this.model.ticking();
      if (rows.length && this.view?.visible) this.emitter.fire(rows);
    }, 1000);
  }

  /** A change of the workspace or team store: folded in after a short batch window. */
  onStoreChange(c: StoreChange, source: SourceId = 'workspace'): void {
    if (c.type === 'output') return;
    this.pending.push({ source, change: c });
    this.flushTimer ??= setTimeout(() => this.flush(), 100);
  }

  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const changes = this.pending;
    this.pending = [];
    if (!changes.length) return;
    let root = false;
    const touched: TreeNode[] = [];
    for (const source of ['workspace', 'team'] as const) {
      const mine = changes.filter((c) => c.source === source).map((c) => c.change);
      if (!mine.length) continue;
      const r = this.model.applyChanges(source, mine);
      if (r.root) root = true;
      else touched.push(...r.elements);
    }
    if (root) this.emitter.fire();
    else if (touched.length) this.emitter.fire(touched);
    this.updateMessage();
  }

  refreshAll(): void {
    this.model.reload();
    this.emitter.fire();
    this.updateMessage();
  }

  updateMessage(): void {
    if (!this.view) return;
    const message = this.model.message();
    this.view.message = message;
    void vscode.commands.executeCommand('setContext', 'runlens.filtered', !!message);
    void vscode.commands.executeCommand('setContext', 'runlens.teamStore', !!this.model.teamState);
    void vscode.commands.executeCommand('setContext', 'runlens.grouped', this.model.groupByWorkflow);
  }

  /** The team store came, went or changed state: its rows are redrawn. */
  teamChanged(): void {
    this.emitter.fire();
    this.updateMessage();
  }

  getTreeItem(el: TreeNode): vscode.TreeItem {
    const v = this.model.item(el);
    const collapsible =
      v.collapsible === 'none'
        ? vscode.TreeItemCollapsibleState.None
        : v.collapsible === 'expanded'
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(v.label, collapsible);
    item.id = v.id;
    item.description = v.description;
    const md = new vscode.MarkdownString(v.tooltip);
    md.supportHtml = false;
    md.isTrusted = false;
    item.tooltip = md;
    item.iconPath = new vscode.ThemeIcon(v.icon.id, v.icon.color ? new vscode.ThemeColor(v.icon.color) : undefined);
    item.contextValue = v.contextValue;
    item.accessibilityInformation = { label: `${v.label}, ${v.description}` };
    if (v.command === 'goToSource') item.command = commandRef('runlens.goToSource', 'Go to Source', el);
    else if (v.command === 'openTimeline') item.command = commandRef('runlens.openTimeline', 'Open Timeline', el);
    else if (v.command === 'setTeamPassword') item.command = commandRef('runlens.setTeamPassword', 'Set Team Database Password');
    else if (v.command === 'teamSettings')
      item.command = { command: 'workbench.action.openSettings', title: 'Open Settings', arguments: ['runlens.database.url'] };
    return item;
  }

  /** The run's error-log count and context join its tooltip when hovered: read on hover, never per refresh. */
  resolveTreeItem(item: vscode.TreeItem, el: TreeNode): vscode.TreeItem {
    const model = el.kind === 'run' ? this.model.modelOf(el) : undefined;
    if (el.kind !== 'run' || !model || !(item.tooltip instanceof vscode.MarkdownString)) return item;
    const errors = model.logs.errorCount(el.runId);
    const context = this.contextOf?.(el.source ?? 'workspace', el.runId);
    if (!context && !errors) return item;
    const md = new vscode.MarkdownString(item.tooltip.value + errorLogsTooltip(errors) + (context ? contextTooltip(context) : ''));
    md.supportHtml = false;
    md.isTrusted = false;
    item.tooltip = md;
    return item;
  }

  getChildren(el?: TreeNode): TreeNode[] {
    return this.model.children(el);
  }

  getParent(el: TreeNode): TreeNode | undefined {
    return this.model.parent(el);
  }

  dispose(): void {
    clearInterval(this.tick);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.emitter.dispose();
  }
}
