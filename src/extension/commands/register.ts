/** Registering the command table's handlers: each feature hands in its part, typed by id. */
import * as vscode from 'vscode';
import { COMMAND_IDS, type CommandId, type CommandTable } from './table';

export type Handlers<K extends CommandId> = { [P in K]: CommandTable[P] };

export class CommandRegistry {
  private readonly registered = new Set<CommandId>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Register handlers; a failure is logged and shown, never thrown back into VS Code. */
  register<K extends CommandId>(handlers: Handlers<K>): vscode.Disposable[] {
    return (Object.keys(handlers) as K[]).map((id) => {
      const fn = handlers[id] as (...args: unknown[]) => unknown;
      this.registered.add(id);
      return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          this.log.error(`${id}: ${(err as Error).stack ?? err}`);
          void vscode.window.showErrorMessage(`Runlens: ${(err as Error).message}`, 'Show Logs').then((a) => a && this.log.show());
          return undefined;
        }
      });
    });
  }

  /** Ids of the table no feature registered (activate() reports them). */
  missing(): CommandId[] {
    return COMMAND_IDS.filter((id) => !this.registered.has(id));
  }
}
