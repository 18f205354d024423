/**
 * The OTLP collector's lifetime in this window: started with the window when the setting is on,
 * restarted when its port or switch changes, and the commands that start, stop and share it.
 * It runs on the store's thread (RemoteStore.startCollector); this side keeps its state.
 *
 * Listening touches no file: in a folder with no database yet, the lock that names the
 * collector's endpoint (for `runlens run` to send its runs here) is described only once the
 * store has taken its files, i.e. when the first data arrives (issue 14).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RemoteCollector, RemoteStore } from '../core/store/remote';
import { describeLock } from '../core/store/store';
import type { CommandRegistry } from './commands/register';
import type { LiveConfig } from './config';

export class CollectorController implements vscode.Disposable {
  private running: RemoteCollector | undefined;
  /** Why the last start failed, until one succeeds. */
  error: string | undefined;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    private readonly store: RemoteStore,
    private readonly config: LiveConfig,
    private readonly log: vscode.LogOutputChannel,
    readonly readOnly: boolean,
  ) {
    this.subs.push(
      this.emitter,
      config.onDidChange(({ before }) => {
        const now = config.current;
        if (
          before.collectorPort === now.collectorPort &&
          before.collectorGrpcPort === now.collectorGrpcPort &&
          before.collectorForwardEndpoint === now.collectorForwardEndpoint &&
          before.collectorEnabled === now.collectorEnabled
        )
          return;
        void this.stop().then(() => (config.current.collectorEnabled ? this.start() : undefined));
      }),
    );
    if (!store.created) {
      const created = store.onDidCreate(() => this.describeLock());
      this.subs.push({ dispose: () => created.dispose() });
    }
  }

  /** The collector while it listens. */
  get current(): RemoteCollector | undefined {
    return this.running;
  }

  get endpoint(): string | undefined {
    return this.running?.endpoint;
  }

  async start(): Promise<void> {
    if (this.running || this.readOnly) return;
    const port = this.config.current.collectorPort;
    try {
      this.running = await this.store.startCollector({ port, grpcPort: this.config.current.collectorGrpcPort, forward: this.forward() });
      if (this.running.grpcEndpoint) this.log.info(`OTLP/gRPC receiver listening on ${this.running.grpcEndpoint}`);
      if (this.running.forwardEndpoint) this.log.info(`forwarding every trace to ${this.running.forwardEndpoint}`);
      if (this.running.forwardError) {
        this.log.error(`forwarding could not start: ${this.running.forwardError}`);
        void vscode.window.showWarningMessage(`Runlens is not forwarding traces: ${this.running.forwardError}`);
      }
      this.error = undefined;
      this.describeLock();
      this.log.info(`collector listening on ${this.running.endpoint}${this.running.fellBack ? ` (port ${port} is taken)` : ''}`);
    } catch (err) {
      this.error = (err as Error).message;
      this.log.error(`collector could not start: ${this.error}`);
      void vscode.window
        .showErrorMessage(`Runlens collector could not start: ${this.error}`, 'Show Logs')
        .then((a) => a && this.log.show());
    }
    this.emitter.fire();
  }

  async stop(): Promise<void> {
    const c = this.running;
    this.running = undefined;
    if (c) {
      await this.store.stopCollector();
      this.describeLock();
      this.log.info('collector stopped');
    }
    this.emitter.fire();
  }

  /**
   * Forwarding, when the user's settings ask for it: its queue beside the database (the
   * workspace's `.runlens/forward-queue/` by default), made only once something is forwarded.
   */
  private forward(): { endpoint: string; queueDir: string } | undefined {
    const endpoint = this.config.current.collectorForwardEndpoint;
    if (!endpoint) return undefined;
    return { endpoint, queueDir: path.join(path.dirname(this.store.path ?? this.config.current.databasePath), 'forward-queue') };
  }

  /** Name this window and its collector in the lock, once there is one (the store has its files). */
  private describeLock(): void {
    if (this.readOnly || !this.store.created) return;
    try {
      describeLock(this.store.path ?? this.config.current.databasePath, { what: 'VS Code', endpoint: this.running?.endpoint });
    } catch (err) {
      this.log.warn(`could not describe the database lock: ${(err as Error).message}`);
    }
  }

  private async copyEndpoint(): Promise<string | undefined> {
    if (!this.running) {
      void vscode.window.showInformationMessage('Runlens: the collector is stopped.', 'Start Collector').then((a) => a && this.start());
      return undefined;
    }
    await vscode.env.clipboard.writeText(this.running.endpoint);
    vscode.window.setStatusBarMessage(`$(copy) ${this.running.endpoint} copied — set OTEL_EXPORTER_OTLP_ENDPOINT to it`, 4000);
    return this.running.endpoint;
  }

  registerCommands(commands: CommandRegistry): vscode.Disposable[] {
    return commands.register({
      'runlens.startCollector': () => this.start(),
      'runlens.stopCollector': () => this.stop(),
      'runlens.copyEndpoint': () => this.copyEndpoint(),
    });
  }

  dispose(): void {
    for (const d of this.subs.splice(0)) d.dispose();
  }
}
