/**
 * The Runs view: a TreeDataProvider that maps RunsTreeModel rows onto TreeItems. Store
 * changes are batched (100 ms) and refresh only the rows they touch; a 1 s tick refreshes
 * the rows of running runs (live elapsed time).
 */
import * as vscode from 'vscode';
import type { StoreChange } from '../core/store/store';
import { commandRef } from './commands/table';
import { describeFilter } from './treeFilter';
import { contextTooltip } from './treeItems';
import { errorLogsTooltip } from './treeLogs';
import type { RunContext } from '../core/context/types';
import { RunsTreeModel, type RunsElement } from './treeModel';

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsElement>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsElement | RunsElement[] | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private pending: StoreChange[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly tick: NodeJS.Timeout;
  view: vscode.TreeView<RunsElement> | undefined;

  constructor(
    readonly model: RunsTreeModel,
    /** A run's context (src/core/context), read only when its tooltip is shown. */
    private readonly contextOf?: (runId: string) => RunContext | undefined,
  ) {
    this.tick = setInterval(() => {
      const rows = this.model.ticking();
      if (rows.length && this.view?.visible) this.emitter.fire(rows);
    }, 1000);
  }

  /** A store change: folded in after a short batch window. */
  onStoreChange(c: StoreChange): void {
    if (c.type === 'output') return;
    this.pending.push(c);
    this.flushTimer ??= setTimeout(() => this.flush(), 100);
  }

  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const changes = this.pending;
    this.pending = [];
    if (!changes.length) return;
    const r = this.model.applyChanges(changes);
    if (r.root) this.emitter.fire();
    else if (r.elements.length) this.emitter.fire(r.elements);
    this.updateMessage();
  }

  refreshAll(): void {
    this.model.reload();
    this.emitter.fire();
    this.updateMessage();
  }

  updateMessage(): void {
    if (!this.view) return;
    const f = describeFilter(this.model.getFilter());
    const shown = this.model.visibleRuns().length;
    const total = this.model.allRuns().length;
    this.view.message = f ? `Filtered: ${f} — ${shown} of ${total} runs` : undefined;
    void vscode.commands.executeCommand('setContext', 'runlens.filtered', !!f);
    void vscode.commands.executeCommand('setContext', 'runlens.grouped', this.model.groupByWorkflow);
  }

  getTreeItem(el: RunsElement): vscode.TreeItem {
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
    return item;
  }

  /** The run's error-log count and context join its tooltip when hovered: read on hover, never per refresh. */
  resolveTreeItem(item: vscode.TreeItem, el: RunsElement): vscode.TreeItem {
    if (el.kind !== 'run' || !(item.tooltip instanceof vscode.MarkdownString)) return item;
    const errors = this.model.logs.errorCount(el.runId);
    const context = this.contextOf?.(el.runId);
    if (!context && !errors) return item;
    const md = new vscode.MarkdownString(item.tooltip.value + errorLogsTooltip(errors) + (context ? contextTooltip(context) : ''));
    md.supportHtml = false;
    md.isTrusted = false;
    item.tooltip = md;
    return item;
  }

  getChildren(el?: RunsElement): RunsElement[] {
    return this.model.children(el);
  }

  getParent(el: RunsElement): RunsElement | undefined {
    return this.model.parent(el);
  }

  dispose(): void {
    clearInterval(this.tick);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.emitter.dispose();
  }
}
