/**
 * The agent tools (src/core/agent/tools.ts) as Language Model tools, so Copilot's agent mode
 * can list runs, explain a failure, diff two runs and read a step. package.json declares them
 * (`contributes.languageModelTools`, its input schemas checked against the tools' own by
 * test/unit/lm-tools.test.ts); this registers their handlers. Read-only.
 */
import * as vscode from 'vscode';
import { AGENT_TOOLS, AgentToolError, callAgentTool } from '../core/agent/tools';
import type { Services } from './services';

export function registerLmTools(s: Pick<Services, 'store' | 'sources' | 'log'>): vscode.Disposable[] {
  // Older hosts (and some forks) have no Language Model API: nothing to register.
  if (typeof vscode.lm?.registerTool !== 'function') return [];
  const ctx = { store: s.store, source: (run: Parameters<typeof s.sources.sourceOptions>[0]) => s.sources.sourceOptions(run) };
  return Object.values(AGENT_TOOLS).map((def) =>
    vscode.lm.registerTool<Record<string, unknown>>(def.name, {
      prepareInvocation: () => ({ invocationMessage: `Runlens: ${def.title.toLowerCase()}` }),
      invoke: async (options) => {
        try {
          return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(await callAgentTool(ctx, def.name, options.input))]);
        } catch (err) {
          if (!(err instanceof AgentToolError)) s.log.error(`${def.name}: ${(err as Error).stack ?? err}`);
          // The model reads the message and can correct its input.
          throw err;
        }
      },
    }),
  );
}
