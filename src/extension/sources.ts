/**
 * From trace data to code: where a span's source is (with the workspace's path mappings), and
 * opening it. Paths in traces are untrusted: files inside the workspace or mapped folders open,
 * anything else is asked about.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { isFailedStatus, type Run, type Span } from '../core/model';
import { resolveFailure, resolveSource, type SourceLocation, type SourceOptions } from '../core/source';
import { failureLeaves } from '../core/tree';
import { workspaceRoot, type LiveConfig } from './config';
import { decideOpen, type OpenScope } from './openPolicy';

export class SourceLinks {
  constructor(
    private readonly config: LiveConfig,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  sourceOptions(run?: Run): SourceOptions {
    const root = workspaceRoot() ?? run?.cwd ?? process.cwd();
    return { workspaceRoot: root, pathMappings: this.config.current.pathMappings, cwd: run?.cwd ?? root, exists: (f) => fs.existsSync(f) };
  }

  /** Where a span's code is: the line that failed for a failed or hung step, else the step itself. */
  locate(span: Span, run: Run): SourceLocation | undefined {
    const opts = this.sourceOptions(run);
    return isFailedStatus(span.status) ? resolveFailure(span, opts) : resolveSource(span, opts);
  }

  /** The line a step failed at (Debug from Here's breakpoint). */
  failureLine(span: Span, run: Run): SourceLocation | undefined {
    return resolveFailure(span, this.sourceOptions(run));
  }

  /** Where files named by trace data may open without asking: the workspace folders and the user's path mappings. */
  openScope(): OpenScope {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    return { folders, pathMappings: this.config.current.pathMappings };
  }

  mayOpen(file: string): boolean {
    return decideOpen(file, this.openScope()).open;
  }

  /** Open a file from a trace at a line; outside the workspace or mapped folders the user is asked first. */
  async openLocation(loc: { file: string; line: number; column?: number }): Promise<void> {
    const d = decideOpen(loc.file, this.openScope());
    if (!d.open && d.missing) {
      void vscode.window.showWarningMessage(
        `Runlens: ${d.file} is not in this workspace. Map container paths with the runlens.pathMappings setting.`,
      );
      return;
    }
    if (!d.open) {
      // The path comes from trace data: never open something outside the workspace silently.
      const ok = await vscode.window.showWarningMessage(
        `Open ${d.file}?`,
        {
          modal: true,
          detail: `A trace names this file, and ${d.reason}. Trace data can name any file on this machine; open it only if you expected it. (Folders you map with runlens.pathMappings open without asking.)`,
        },
        'Open File',
      );
      if (ok !== 'Open File') return;
    }
    const pos = new vscode.Position(Math.max(0, loc.line - 1), Math.max(0, (loc.column ?? 1) - 1));
    await vscode.window.showTextDocument(vscode.Uri.file(d.file), { selection: new vscode.Range(pos, pos), preview: true });
  }

  /** Open a span's code: its location when the file is here, else a workspace symbol named like the step. */
  async goTo(span: Span, run: Run): Promise<boolean> {
    const loc = this.locate(span, run);
    if (loc && fs.existsSync(loc.file)) {
      await this.openLocation(loc);
      return true;
    }
    if (loc)
      this.log.info(
        `${span.name}: ${loc.file}:${loc.line} is not in this workspace (set runlens.pathMappings for container or remote paths)`,
      );
    return symbolSearch(span.name, loc?.file);
  }
}

/** Where a run's failure starts: the core's failure leaves (deepest, last attempt), not the root span that re-raised it. */
export function firstFailure(store: { getSpans(runId: string): Span[] }, run: Run): Span | undefined {
  return failureLeaves(store.getSpans(run.id))[0];
}

/** Last resort: a workspace symbol named like the step (a LangGraph node, an @step method). */
async function symbolSearch(step: string, missingFile?: string): Promise<boolean> {
  const name =
    step
      .split(/[.:/ ]/)
      .filter(Boolean)
      .pop() ?? step;
  const kinds = [vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Class];
  const found = (await vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', name)) ?? [];
  const symbols = found.filter((s) => s.name === name && kinds.includes(s.kind) && s.location.uri.scheme === 'file');
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
  await vscode.window.showTextDocument(chosen.location.uri, {
    selection: new vscode.Range(chosen.location.range.start, chosen.location.range.start),
  });
  return true;
}
