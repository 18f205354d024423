/** `runlens mcp` through the built CLI, driven by the MCP SDK's own client over stdio. */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { TraceStore } from '../../src/core/store/store';
import type { Span } from '../../src/core/model';
import { stepSpan } from './helpers/spans';
import { BIN, buildCli, cliEnv } from './helpers/cli';
import { tempDir } from './helpers/fixtures';

const MS = 1_000_000n;
const T0 = 1_763_800_000_000n * MS;

const span = (runId: string, id: string, name: string, error?: string): Span =>
  stepSpan(runId, id, name, { error, attributes: { 'code.filepath': 'flow.py', 'code.lineno': 7 } });

async function record(file: string, id: string, startMs: number, error?: string): Promise<void> {
  const store = await TraceStore.open({ path: file });
  store.apply({
    runs: [{ id, name: 'flow', workflow: 'flow', status: 'RUNNING', source: 'launch', startNs: T0 + BigInt(startMs) * MS, attributes: {} }],
    spans: [span(id, '1', 'load'), span(id, '2', 'validate', error)],
  });
  store.endRun(id, { exitCode: error ? 1 : 0 });
  await store.close();
}

describe('runlens mcp: the agent tools over the Model Context Protocol', function () {
  this.timeout(60_000);
  before(() => buildCli());

  it('lists its read-only tools and answers each; a run recorded while it serves is seen', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'traces.db');
    await record(file, 'aaaa0000000000000000000000000001', 0);
    const env = cliEnv() as Record<string, string>;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--db', file],
      cwd: dir,
      env,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'runlens-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map((t) => [t.name, t.annotations?.readOnlyHint]),
        [
          ['runlens_list_runs', true],
          ['runlens_explain_failure', true],
          ['runlens_diff_runs', true],
          ['runlens_span_detail', true],
        ],
      );
      // Recorded after the server started: each call reads the database as it is then.
      await record(file, 'bbbb0000000000000000000000000002', 1000, 'row 2 has no id');
      const text = async (name: string, args: Record<string, unknown>) => {
        const r = (await client.callTool({ name, arguments: args })) as { content: { type: string; text: string }[]; isError?: boolean };
        return { text: r.content.map((c) => c.text).join('\n'), isError: r.isError ?? false };
      };
      const list = await text('runlens_list_runs', {});
      assert.match(list.text, /bbbb0000000000000000000000000002 {2}flow {2}FAILED/);
      assert.match(list.text, /<untrusted-trace-data>/);
      const why = await text('runlens_explain_failure', { run: 'last' });
      assert.match(why.text, /Failed step: validate \(span 0+2\) at flow\.py:7/);
      assert.match(why.text, /1\. First divergent step: validate: OK → ERROR — ValueError: row 2 has no id/);
      const diff = await text('runlens_diff_runs', { run: 'bbbb', baseline: 'aaaa' });
      assert.match(diff.text, /Run Diff {2}flow bbbb0000 FAILED/);
      const detail = await text('runlens_span_detail', { run: 'bbbb', span: '0000000000000001' });
      assert.match(detail.text, /Step: load \(span 0+1\)/);
      const missing = await text('runlens_span_detail', { run: 'zzzz', span: 'x' });
      assert.equal(missing.isError, true);
      assert.match(missing.text, /No run "zzzz"/);
    } finally {
      await client.close();
    }
  });
});
