/**
 * `runlens diff` through the built CLI, on the example workflows run for real (`runlens run`)
 * in a git repository: each flaky example's Run Diff names its real cause in its top lines.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, runCli, type CliResult } from './helpers/cli';
import { REPO } from './helpers/fixtures';

const EXAMPLES = path.join(REPO, 'examples');

function gitRepo(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-diff-')));
  fs.cpSync(EXAMPLES, path.join(dir, 'examples'), {
    recursive: true,
    filter: (src) => !/(^|[\\/])(\.cache|__pycache__|ts_workflow|graph_agent)$/.test(src),
  });
  fs.writeFileSync(path.join(dir, '.gitignore'), '.runlens/\n__pycache__/\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'dev@example.com');
  git('config', 'user.name', 'Dev');
  git('add', '.');
  git('commit', '-q', '-m', 'examples');
  return dir;
}

/** The numbered "What changed" lines of a diff's report. */
function topLines(r: CliResult): string[] {
  return [...r.stdout.matchAll(/^ {2}\d+\. (.*)$/gm)].map((m) => m[1]!);
}

describe('runlens diff: what changed since the run last worked', function () {
  this.timeout(120_000);
  before(() => buildCli());
  let dir: string;
  const env = { NO_COLOR: '1' };
  const run = (args: string[], extra: Record<string, string> = {}) =>
    runCli(['run', '--port', '0', '--no-stdin', ...args], dir, { env: { ...env, ...extra } });
  const diff = (...args: string[]) => runCli(['diff', ...args], dir, { env });
  beforeEach(() => (dir = gitRepo()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('event generation: names the left-over state file first, then the failing step and its error', async () => {
    assert.equal((await run(['--', 'python3', 'examples/event_generation.py'])).code, 0);
    assert.equal((await run(['--', 'python3', 'examples/event_generation.py'])).code, 1);
    const r = await diff('last');
    assert.equal(r.code, 1, `a new failure exits 1\n${r.stdout}${r.stderr}`);
    const top = topLines(r);
    assert.match(top[0]!, /^Working tree differs: examples\/\.cache\/ appeared \(ignored by git\)/, r.stdout);
    assert.match(top[1]!, /^First divergent step: .*validate.*ValueError: duplicate test ids/, r.stdout);
    assert.match(r.stdout, /\+ \[stdout\] start: .*cache holds 4 tests/);
  });

  it('staged manager: names the stage far slower than the p95 of its recent successful runs', async () => {
    for (let i = 0; i < 3; i++) {
      const ok = await run(['--', 'python3', 'examples/staged_manager.py'], { CODING_AGENT_SECONDS: '0.02', STAGE_TIMEOUT_SECONDS: '10' });
      assert.equal(ok.code, 0, ok.stderr);
    }
    await run(['--', 'python3', 'examples/staged_manager.py'], { CODING_AGENT_SECONDS: '1.5', STAGE_TIMEOUT_SECONDS: '10' });
    const r = await diff('last');
    assert.equal(r.code, 0, 'slower, not failed');
    const top = topLines(r);
    const slow = top.findIndex((l) =>
      /^Slower than baseline: staged_manager › implementation took 1\.\d+ s \(p95 of 3 successful runs: \d+ ms\)/.test(l),
    );
    assert.ok(slow >= 0 && slow < 3, r.stdout);
    assert.ok(
      top.slice(0, slow).every((l) => /^Environment: value changed: CODING_AGENT_SECONDS$/.test(l)),
      r.stdout,
    );
  });

  it('invoice batch: names the changed input file', async () => {
    const input = ['--input', 'examples/data/*.csv', '--name', 'invoices'];
    assert.equal((await run([...input, '--', 'python3', 'examples/invoice_batch.py'])).code, 0);
    fs.appendFileSync(path.join(dir, 'examples/data/invoices.csv'), 'INV-1005,hooli,0.5,XBT\n');
    assert.equal((await run([...input, '--', 'python3', 'examples/invoice_batch.py'])).code, 1);
    const r = await diff('last', 'last-success');
    const top = topLines(r);
    assert.match(top[0]!, /^Input changed: examples\/data\/invoices\.csv modified \(\d+ → \d+ bytes\)$/, r.stdout);
    assert.match(r.stdout, /First divergent step: .*convert.*no rate for XBT/);
    assert.match(r.stdout, /invoices\.currencies: EUR,GBP,USD → EUR,GBP,USD,XBT/, 'the earlier step whose attributes changed');
  });

  it('invoice batch: names the environment variable whose value changed, never storing a value', async () => {
    const secret = 'sk-live-0123456789abcdef-never-stored';
    assert.equal((await run(['--', 'python3', 'examples/invoice_batch.py'], { API_KEY: secret })).code, 0);
    assert.equal((await run(['--', 'python3', 'examples/invoice_batch.py'], { API_KEY: secret, REPORT_CURRENCY: 'CHF' })).code, 1);
    const r = await diff('last');
    const top = topLines(r);
    assert.equal(top[0], 'Environment: set now: REPORT_CURRENCY', r.stdout);
    assert.match(top[1]!, /no rate for CHF/);
    const files = fs
      .readdirSync(path.join(dir, '.runlens'), { recursive: true, encoding: 'utf8' })
      .map((f) => path.join(dir, '.runlens', f));
    for (const f of files.filter((f) => fs.statSync(f).isFile())) {
      assert.ok(!fs.readFileSync(f).includes(secret), `${f} holds the secret value`);
    }
  });

  it('a new commit: names the commit and the file it changed, and diffs against a baseline named by id', async () => {
    assert.equal((await run(['--', 'python3', 'examples/invoice_batch.py'])).code, 0);
    const file = path.join(dir, 'examples/invoice_batch.py');
    fs.writeFileSync(
      file,
      fs.readFileSync(file, 'utf8').replace('"GBP": 1.17}', '"GBP": 1.17, "XBT": None}').replace('RATES[currency]', 'RATES[currency] * 1'),
    );
    execFileSync('git', ['commit', '-q', '-am', 'XBT placeholder rate'], { cwd: dir });
    fs.appendFileSync(path.join(dir, 'examples/data/invoices.csv'), 'INV-1005,hooli,0.5,XBT\n');
    execFileSync('git', ['commit', '-q', '-am', 'a bitcoin invoice'], { cwd: dir });
    assert.equal((await run(['--', 'python3', 'examples/invoice_batch.py'])).code, 1);
    const list = await runCli(['list', '--json'], dir, { env });
    const [last, first] = (JSON.parse(list.stdout) as { id: string }[]).map((r) => r.id);
    const r = await diff(last!, first!);
    const top = topLines(r);
    assert.match(top[0]!, /^New commit: [0-9a-f]{7} → [0-9a-f]{7} \(2 commits\), 2 files changed$/, r.stdout);
    assert.match(r.stdout, /M examples\/invoice_batch\.py/);
    assert.match(r.stdout, /[0-9a-f]{7} XBT placeholder rate/);
    const json = await diff(last!, first!, '--json');
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).around[0].kind, 'commit');
  });

  it('says when there is nothing to compare with, and exits 1', async () => {
    await run(['--', 'python3', 'examples/invoice_batch.py'], { REPORT_CURRENCY: 'CHF' });
    const r = await diff('last');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /no successful run of "invoice_batch\.py" before invoice_batch\.py \([0-9a-z]{8}\) to compare with; name a baseline: runlens diff [0-9a-z]{8} <baselineId>/,
    );
  });
});
