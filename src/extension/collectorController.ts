/**
 * The OTLP collector's lifetime in this window: started with the window when the setting is on,
 * restarted when its port or switch changes, and the commands that start, stop and share it.
 * It runs on the store's thread (RemoteStore.startCollector); this side keeps its state.
 */
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
        if (before.collectorPort === now.collectorPort && before.collectorEnabled === now.collectorEnabled) return;
        void this.stop().then(() => (config.current.collectorEnabled ? this.start() : undefined));
      }),
    );
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
      this.running = await this.store.startCollector({ port });
      this.error = undefined;
      describeLock(this.config.current.databasePath, { what: 'VS Code', endpoint: this.running.endpoint });
      this.log.info(`collector listening on ${this.running.endpoint}${this.running.fellBack ? ` (port ${port} is taken)` : ''}`);
    } catch (err) {
      this.error = (err as Error).message;
      this.log.error(`collector could not start: ${this.error}`);
      void vscode.window.showErrorMessage(`Runlens collector could not start: ${this.error}`, 'Show Logs').then((a) => a && this.log.show());
    }
    this.emitter.fire();
  }

  async stop(): Promise<void> {
    const c = this.running;
    this.running = undefined;
    if (c) {
      await this.store.stopCollector();
      describeLock(this.config.current.databasePath, { what: 'VS Code' });
      this.log.info('collector stopped');
    }
    this.emitter.fire();
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
