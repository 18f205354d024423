/**
 * Launch workflows through the core runner, each in a terminal of its own (a Pseudoterminal
 * that shows the process's output live; Ctrl+C or closing it stops the run).
 */
import * as vscode from 'vscode';
import { launch, type RunningWorkflow } from '../core/runner';
import type { Store } from '../core/store/store';
import { formatDuration } from '../shared/format';
import { durationMs } from '../core/model';
import type { WorkflowSpec } from './workflowSources';

interface Active {
  running: RunningWorkflow;
  spec: WorkflowSpec;
  terminal: vscode.Terminal;
}

const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

export class Launcher implements vscode.Disposable {
  private readonly active = new Map<string, Active>();
  /** The spec each run of this window was launched from (Re-run uses it). */
  private readonly specs = new Map<string, WorkflowSpec>();
  lastSpec: WorkflowSpec | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly store: () => Store,
    private readonly endpoint: () => string | undefined,
    private readonly log: vscode.LogOutputChannel,
    /** The OTLP/gRPC receiver, for workflows whose environment asks for gRPC. */
    private readonly grpcEndpoint: () => string | undefined = () => undefined,
  ) {}

  get liveCount(): number {
    return this.active.size;
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  specOf(runId: string): WorkflowSpec | undefined {
    return this.specs.get(runId);
  }

  /** Start a workflow; resolves with its run id once the process is spawned. */
  start(spec: WorkflowSpec): string {
    const writeEmitter = new vscode.EventEmitter<string>();
    const closeEmitter = new vscode.EventEmitter<number | void>();
    const buffered: string[] = [];
    let opened = false;
    const write = (text: string) => {
      if (opened) writeEmitter.fire(text);
      else buffered.push(text);
    };
    const endpoint = this.endpoint();
    const running = launch(this.store(), {
      command: spec.command,
      cwd: spec.cwd,
      env: spec.env,
      name: spec.name,
      workflow: spec.name,
      endpoint,
      grpcEndpoint: endpoint ? this.grpcEndpoint() : undefined,
      inputs: spec.inputs,
    });
    let exitCode: number | undefined;
    const pty: vscode.Pseudoterminal = {
      onDidWrite: writeEmitter.event,
      onDidClose: closeEmitter.event,
      open: () => {
        opened = true;
        for (const t of buffered.splice(0)) writeEmitter.fire(t);
      },
      close: () => {
        running.stop(); // closing the terminal of a live run stops it
        writeEmitter.dispose();
        closeEmitter.dispose();
      },
      handleInput: (data) => {
        if (exitCode !== undefined) closeEmitter.fire(exitCode);
        else if (data === '\x03') {
          write('^C\r\n');
          running.stop();
        }
      },
    };
    const terminal = vscode.window.createTerminal({ name: `Runlens: ${spec.name}`, pty, iconPath: new vscode.ThemeIcon('pulse') });
    const runId = running.runId;
    this.active.set(runId, { running, spec, terminal });
    this.specs.set(runId, spec);
    this.lastSpec = spec;
    this.changed.fire();
    this.log.info(
      `run ${runId}: ${spec.command.join(' ')} (cwd ${spec.cwd})${endpoint ? `, traces to ${endpoint}` : ', collector off: stdout/stderr only'}`,
    );
    write(`\x1b[2m$ ${crlf(spec.command.join(' '))}   (run ${runId})\x1b[0m\r\n`);
    running.onOutput((stream, text) => write(stream === 'stderr' ? `\x1b[31m${crlf(text)}\x1b[0m` : crlf(text)));
    terminal.show(true);
    void running.done.then((run) => {
      this.active.delete(runId);
      this.changed.fire();
      const how = run.signal ? `stopped (${run.signal})` : `exit ${run.exitCode ?? '?'}`;
      write(`\r\n\x1b[2m${run.status} · ${how} · ${formatDuration(durationMs(run))} — press any key to close\x1b[0m\r\n`);
      this.log.info(`run ${runId} ended: ${run.status}, ${how}`);
      exitCode = run.exitCode ?? 0;
    });
    return runId;
  }

  stop(runId?: string): boolean {
    const target = runId ? this.active.get(runId) : [...this.active.values()].pop();
    if (!target) return false;
    target.running.stop();
    return true;
  }

  dispose(): void {
    for (const a of this.active.values()) a.running.stop();
    this.changed.dispose();
  }
}
