/**
 * `runlens mcp`: the agent tools (tools.ts) over the Model Context Protocol on stdio, with the
 * official TypeScript SDK, for agents other than Copilot (Claude Code, Cursor, Codex…).
 * Read-only: each call reads the store as it is on disk at that moment (`open`), so runs
 * recorded while the server runs are seen and the server never holds the writer's lock.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { AGENT_TOOLS, AgentToolError, callAgentTool, type AgentContext } from './tools';

export interface McpOptions {
  version: string;
  /** A fresh read of the store for one call, and a way to let it go. */
  open(): Promise<{ ctx: AgentContext; close(): Promise<void> }>;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}

export async function serveMcp(opts: McpOptions): Promise<{ closed: Promise<void> }> {
  const server = new McpServer({ name: 'runlens', version: opts.version });
  for (const def of Object.values(AGENT_TOOLS)) {
    server.registerTool(
      def.name,
      { title: def.title, description: def.description, inputSchema: def.input, annotations: { readOnlyHint: true, openWorldHint: false } },
      async (args: unknown) => {
        const { ctx, close } = await opts.open();
        try {
          return { content: [{ type: 'text' as const, text: await callAgentTool(ctx, def.name, args) }] };
        } catch (err) {
          if (!(err instanceof AgentToolError)) throw err;
          return { content: [{ type: 'text' as const, text: err.message }], isError: true };
        } finally {
          await close();
        }
      },
    );
  }
  const transport = new StdioServerTransport(opts.stdin as NodeJS.ReadStream | undefined, opts.stdout as NodeJS.WriteStream | undefined);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    (opts.stdin ?? process.stdin).on('end', () => void server.close().then(resolve, resolve));
  });
  await server.connect(transport);
  return { closed };
}
