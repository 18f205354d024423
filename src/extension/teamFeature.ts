/**
 * The team store in this window: `runlens.database.url` from the user's or machine's settings
 * only (a workspace value is ignored even where VS Code would apply it: a cloned repository must
 * never point Runlens at a database), the password from VS Code's secret storage (keyed by the
 * URL) or PGPASSWORD, never from settings. It opens beside the workspace store (which stays the
 * default: launched runs go there) without ever delaying it; its state shows in the Runs view
 * (teamConnection.ts retries); changing the setting re-opens it. Commands: set / clear the
 * password, and Publish Run to Team Store (pushRun: the run, its spans, logs, metrics and output).
 */
import * as vscode from 'vscode';
import { openTeamStore } from '../core/store/pg';
import { pushRun } from '../core/store/push';
import type { CommandRegistry } from './commands/register';
import type { Target } from './commands/table';
import type { LiveConfig } from './config';
import { noIcons } from './markdown';
import type { Stores } from './stores';
import { TimelinePanel } from './timeline';
import { TeamConnection, urlLabel, type TeamConnectionDeps } from './teamConnection';
import type { TreeFeature } from './treeFeature';

export interface TeamFeatureDeps {
  secrets: vscode.SecretStorage;
  config: LiveConfig;
  log: vscode.LogOutputChannel;
  tree: TreeFeature;
  stores: Stores;
  commands: CommandRegistry;
}

const URL_KEY = 'database.url';

/** The team database URL from the user's or machine's settings (never a workspace's or folder's); '' = none. */
function teamUrl(): string {
  const v = vscode.workspace.getConfiguration('runlens').inspect<unknown>(URL_KEY)?.globalValue;
  return typeof v === 'string' ? v.trim() : '';
}

/** Where the password of `url` is kept in secret storage: one per database (the URL without any password). */
const secretKey = (url: string) => `runlens.database.password:${urlLabel(url) || url}`;

export class TeamFeature implements vscode.Disposable {
  private connection: TeamConnection | undefined;
  private url = '';
  private readonly subs: vscode.Disposable[] = [];
  private opening: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly deps: TeamFeatureDeps,
    private readonly open: TeamConnectionDeps['open'] = openTeamStore,
  ) {
    this.subs.push(
      deps.config.onDidChange(({ event }) => event.affectsConfiguration(`runlens.${URL_KEY}`) && this.reopen()),
      // A password set in another window of this machine: try it here too.
      deps.secrets.onDidChange((e) => this.url && e.key === secretKey(this.url) && this.reopen()),
      ...deps.commands.register({
        'runlens.setTeamPassword': (p?: unknown) => this.setPassword(p),
        'runlens.clearTeamPassword': () => this.clearPassword(),
        'runlens.publishRun': (t?: Target) => this.publish(t),
      }),
    );
    this.reopen();
  }

  /** Close what is open and open what the settings say now (in the background: the window never waits for it). */
  private reopen(): void {
    this.opening = this.opening.then(async () => {
      if (this.closed) return;
      const url = teamUrl();
      await this.closeConnection();
      this.url = url;
      if (!url) {
        this.deps.tree.setTeam(undefined, undefined);
        return;
      }
      const password = (await this.storedPassword(url)) || process.env.PGPASSWORD || undefined;
      const conn = new TeamConnection(url, password, {
        open: this.open,
        log: (m) => this.deps.log.info(m),
        maxAttrLength: this.deps.config.current.attributesMaxLength,
        onState: (state, store) => {
          if (this.connection !== conn) return;
          if (store !== this.deps.stores.team) TimelinePanel.disposeTeam();
          this.deps.tree.setTeam(state, store);
        },
      });
      this.connection = conn;
      conn.start();
    });
    // One failed re-open never stops the next (each waits for the one before).
    this.opening = this.opening.catch((err: Error) => this.deps.log.error(`team store: ${err.stack ?? err.message}`));
  }

  /** The password kept for `url` in secret storage; none when the secret storage cannot be read (PGPASSWORD is used then). */
  private async storedPassword(url: string): Promise<string | undefined> {
    try {
      return await this.deps.secrets.get(secretKey(url));
    } catch (err) {
      this.deps.log.warn(`team store: secret storage: ${(err as Error).message}`);
      return undefined;
    }
  }

  private async closeConnection(): Promise<void> {
    const conn = this.connection;
    this.connection = undefined;
    if (!conn) return;
    if (!this.closed) {
      TimelinePanel.disposeTeam();
      this.deps.tree.setTeam(undefined, undefined);
    }
    await conn.dispose();
  }

  private async setPassword(given?: unknown): Promise<void> {
    const url = teamUrl();
    if (!url) {
      const a = await vscode.window.showInformationMessage(
        'Runlens: set runlens.database.url in your user settings first.',
        'Open Settings',
      );
      if (a) await vscode.commands.executeCommand('workbench.action.openSettings', `runlens.${URL_KEY}`);
      return;
    }
    const password =
      typeof given === 'string'
        ? given
        : await vscode.window.showInputBox({
            title: `Runlens: password for the team database ${urlLabel(url)}`,
            prompt: "Kept in VS Code's secret storage on this machine, never in settings.",
            password: true,
            ignoreFocusOut: true,
          });
    if (!password) return;
    await this.deps.secrets.store(secretKey(url), password.slice(0, 1024));
    this.reopen();
  }

  private async clearPassword(): Promise<void> {
    const url = teamUrl();
    if (!url) return;
    await this.deps.secrets.delete(secretKey(url));
    void vscode.window.showInformationMessage(`Runlens: forgot the password of ${urlLabel(url)} (PGPASSWORD is used when set).`);
    this.reopen();
  }

  /** Copy a workspace run to the team store; it then shows under Team (the team store's change). */
  private async publish(t?: Target): Promise<{ spans: number } | undefined> {
    const team = this.deps.stores.team;
    if (!team || this.connection?.current.status !== 'connected') {
      const why = !teamUrl() ? 'no team store is configured (runlens.database.url)' : 'the team store is not connected';
      void vscode.window.showWarningMessage(`Runlens: cannot publish: ${why}.`);
      return undefined;
    }
    const target = await this.deps.tree.target(t, 'Pick a run to publish to the team store', 'workspace');
    if (!target) return undefined;
    const { run } = target;
    const copied = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Runlens: publishing “${noIcons(run.name)}” to ${team.label}…` },
      async () => pushRun(target.store, team, run.id),
    );
    this.deps.log.info(
      `published ${run.id} to ${team.label}: ${copied.spans} spans, ${copied.logs} log records, ${copied.points} metric points, ${copied.outputLines} output lines`,
    );
    void vscode.window.showInformationMessage(
      `Runlens published “${noIcons(run.name)}” to the team store: ${copied.spans} spans${copied.logs ? `, ${copied.logs} log records` : ''}${copied.outputLines ? `, ${copied.outputLines} output lines` : ''}.`,
    );
    this.deps.tree.showNewRun(run.id, 'team');
    return { spans: copied.spans };
  }

  /** Close the team store (deactivate). */
  async close(): Promise<void> {
    this.closed = true;
    await this.opening.catch(() => undefined);
    await this.closeConnection();
  }

  dispose(): void {
    for (const d of this.subs.splice(0).reverse()) d.dispose();
  }
}
