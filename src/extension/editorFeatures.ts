/**
 * Failures where the code is: CodeLens above the failing line and above each step
 * function, Problems entries, and a hover — all reading one SourceIndex.
 */
import * as vscode from 'vscode';
import { nowNs } from '../core/model';
import { formatDuration, relativeTimeNs } from '../shared/format';
import { commandRef } from './commands/table';
import { failureHover } from './hover';
import { noIcons, oneLine } from './markdown';
import { historyText, type FailureFact, type SourceIndex } from './sourceIndex';

export interface EditorFeatureSettings {
  codeLens: boolean;
  history: boolean;
  problems: boolean;
}

/** What trace data may lead to: files that open without asking, runs that may be debugged. */
export interface EditorFeatureGuard {
  mayOpen(file: string): boolean;
  canDebug(runId: string): boolean;
}

const line0 = (line: number) => Math.max(0, line - 1);

export class FailureLensProvider implements vscode.CodeLensProvider, vscode.HoverProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.emitter.event;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('runlens');

  constructor(
    private readonly index: SourceIndex,
    private settings: () => EditorFeatureSettings,
    private readonly guard: EditorFeatureGuard,
  ) {}

  /** The index changed (runs or settings): lenses re-asked, Problems rebuilt. */
  refresh(): void {
    this.emitter.fire();
    this.updateDiagnostics();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const s = this.settings();
    if (!s.codeLens && !s.history) return [];
    const lenses: vscode.CodeLens[] = [];
    const now = nowNs();
    if (s.codeLens) {
      for (const f of this.index.failuresIn(doc.uri.fsPath)) {
        if (f.line > doc.lineCount) continue;
        const range = doc.lineAt(line0(f.line)).range;
        const ref = { runId: f.runId, spanId: f.spanId };
        const verb = f.status === 'INCOMPLETE' ? 'hung' : 'failed';
        lenses.push(
          new vscode.CodeLens(range, {
            ...commandRef(
              'runlens.openTimeline',
              `$(error) ${noIcons(f.step)} ${verb} ${relativeTimeNs(f.atNs, now)}: ${noIcons(oneLine(f.error, 120))}`,
              ref,
            ),
            tooltip: `${f.runName} — open the timeline at this step`,
          }),
          new vscode.CodeLens(range, commandRef('runlens.revealRun', 'Show Run', ref)),
          new vscode.CodeLens(range, commandRef('runlens.compareWithLastSuccess', 'Compare with last success', ref)),
        );
        if (this.guard.canDebug(f.runId))
          lenses.push(new vscode.CodeLens(range, commandRef('runlens.debugFromHere', 'Debug from here', ref)));
      }
    }
    if (s.history) {
      for (const h of this.index.historyIn(doc.uri.fsPath)) {
        if (h.line > doc.lineCount) continue;
        lenses.push(
          new vscode.CodeLens(doc.lineAt(line0(h.line)).range, {
            ...commandRef('runlens.showStepHistory', `$(history) ${historyText(h, formatDuration)}`, {
              file: h.file,
              line: h.line,
              step: h.step,
            }),
            tooltip: `Runs of step “${h.step}” — pick one to open its timeline`,
          }),
        );
      }
    }
    return lenses;
  }

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const here = this.index.failuresIn(doc.uri.fsPath).filter((f) => line0(f.line) === pos.line);
    if (!here.length) return undefined;
    const parts = failureHover(here, (step) => this.index.samplesOf(step, 8), nowNs());
    return new vscode.Hover(
      parts.map((p) => {
        // Trace text lives only in parts with no commands, no HTML and no theme icons.
        const md = new vscode.MarkdownString(p.markdown, p.themeIcons);
        md.supportHtml = false;
        md.isTrusted = p.enabledCommands.length ? { enabledCommands: p.enabledCommands } : false;
        return md;
      }),
    );
  }

  updateDiagnostics(): void {
    this.diagnostics.clear();
    if (!this.settings().problems) return;
    for (const [file, facts] of this.index.failuresByFile()) {
      // A Problems entry opens its file on a click, with no chance to ask: only files inside
      // the workspace or mapped folders get one (and only such frames as related information).
      if (!this.guard.mayOpen(file)) continue;
      const uri = vscode.Uri.file(file);
      this.diagnostics.set(
        uri,
        facts.map((f) => toDiagnostic(f, this.guard)),
      );
    }
  }

  dispose(): void {
    this.emitter.dispose();
    this.diagnostics.dispose();
  }
}

function toDiagnostic(f: FailureFact, guard: EditorFeatureGuard): vscode.Diagnostic {
  const line = line0(f.line);
  const range = new vscode.Range(line, f.column ? f.column - 1 : 0, line, Number.MAX_SAFE_INTEGER);
  const d = new vscode.Diagnostic(
    range,
    `${f.step} ${f.status === 'INCOMPLETE' ? 'hung' : 'failed'} (run ${f.runName}): ${f.error}`,
    vscode.DiagnosticSeverity.Error,
  );
  d.source = 'runlens';
  if (f.errorType) d.code = f.errorType;
  d.relatedInformation = f.outerFrames
    .filter((fr) => guard.mayOpen(fr.file))
    .map(
      (fr) =>
        new vscode.DiagnosticRelatedInformation(
          new vscode.Location(vscode.Uri.file(fr.file), new vscode.Position(line0(fr.line), 0)),
          `called from ${fr.function ?? 'here'}`,
        ),
    );
  return d;
}
