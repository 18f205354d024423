import { strict as assert } from 'node:assert';
import { contextTooltip } from '../../src/extension/treeItems';

describe("runs tree: a run's context in its tooltip", () => {
  it('says the branch, changed and ignored files, inputs, runtimes, how many variables and who ran it, as text', () => {
    const raw = contextTooltip({
      git: {
        commit: 'a'.repeat(40),
        branch: 'fix/[click](command:runlens.clearAll)',
        dirty: true,
        files: [{ path: 'flow.py', status: 'M' }],
        ignored: [{ path: '.cache/', status: '!!', hash: '0123456789abcdef' }],
      },
      inputs: [
        { path: 'data/in.csv', size: 4, hash: '0123456789abcdef' },
        { path: 'missing/*.json', missing: true },
      ],
      runtimes: { python3: 'Python 3.11.2', node: 'v20.19.0' },
      env: { MODEL: 'h:0123456789abcdef', API_KEY: 's:0123456789abcdef' },
      origin: { user: 'dev', host: 'box', ci: { provider: 'github', job: 'nightly / test / 42' } },
    });
    assert.doesNotMatch(raw, /\[click\]\(command:/, 'markdown in a branch name is text, never a link');
    // What the reader sees once character references are read.
    const md = raw.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));
    assert.match(md, /\*\*Branch:\*\* fix\/\[click\]\(command:runlens\.clearAll\)/);
    assert.match(md, /\*\*Uncommitted:\*\* 1 files: flow\.py/);
    assert.match(md, /\*\*Ignored by git:\*\* \.cache\//);
    assert.match(md, /\*\*Inputs:\*\* data\/in\.csv, missing\/\*\.json \(none\)/);
    assert.match(md, /\*\*Runtimes:\*\* Python 3\.11\.2, node v20\.19\.0/);
    assert.match(md, /\*\*Environment:\*\* 2 variables \(names and value hashes; values are not stored\)/);
    assert.match(md, /\*\*Ran by:\*\* dev@box \(github nightly \/ test \/ 42\)/);
  });
});
