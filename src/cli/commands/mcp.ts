/**
 * `runlens mcp`: the agent tools over MCP on stdio (src/core/agent/mcp.ts). Each call opens the
 * database read-only as it is then (new runs are seen; no lock is ever held), and only stderr
 * is ever written to besides the protocol on stdout.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { serveMcp as ServeMcp } from '../../core/agent/mcp';
import { findWorkspaceRoot } from '../../core/workspace';
import { VERSION, type Parsed } from '../args';
import { openForReading } from '../database';

export async function cmdMcp(p: Parsed): Promise<number> {
  // Fail now, not on the first call, when the database named does not exist.
  const first = await openForReading(p);
  await first.store.close();
  const root = findWorkspaceRoot(process.cwd());
  const { closed } = await loadServer()({
    version: VERSION,
    open: async () => {
      const { store } = await openForReading(p);
      return { ctx: { store, source: (run) => ({ workspaceRoot: root, cwd: run.cwd ?? root }) }, close: () => store.close() };
    },
  });
  await closed;
  return 0;
}

/**
 * The MCP server module: dist/mcp.js beside the bundled CLI (its own bundle, so the SDK is read
 * only by this command), or the source when the CLI runs from source.
 */
function loadServer(): typeof ServeMcp {
  const file = __filename.endsWith('.ts') ? path.join(__dirname, '../../core/agent/mcp') : path.join(__dirname, 'mcp.js');
  return (createRequire(__filename)(file) as { serveMcp: typeof ServeMcp }).serveMcp;
}
