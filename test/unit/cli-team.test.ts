/**
 * The CLI on a team database (issue 17): `runlens run|serve|import|list|show --db postgres://…`
 * and `runlens push`, through the built CLI against a real PostgreSQL started by the test.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, runCli } from './helpers/cli';
import { REPO } from './helpers/fixtures';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';

describe('runlens on a team database (PostgreSQL)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let work: string;
  const env = () => ({ PGPASSWORD: db.password });

  before(async () => {
    buildCli();
    db = await createTestDatabase();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-team-cli-'));
    fs.mkdirSync(path.join(work, '.git'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('records a run straight into the team database, and lists and shows it from there', async () => {
    const script = path.join(REPO, 'examples', 'scraping_workflow.py');
    const r = await runCli(
      ['run', '--db', db.url, '--name', 'ci-scrape', '--port', '0', '--grpc-port', '0', '--', 'python3', script],
      work,
      { env: env() },
    );
    assert.ok(r.code !== null, r.stderr);
    const list = await runCli(['list', '--db', db.url, '--json'], work, { env: env() });
    assert.equal(list.code, 0, list.stderr);
    const runs = JSON.parse(list.stdout) as { id: string; name: string; spanCount: number }[];
    const run = runs.find((x) => x.name === 'ci-scrape');
    assert.ok(run, list.stdout);
    assert.ok(run.spanCount > 0);
    const show = await runCli(['show', run.id, '--db', db.url], work, { env: env() });
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /ci-scrape/);
    assert.doesNotMatch(show.stdout + show.stderr + list.stdout + r.stderr, new RegExp(db.password));
  });

  it('publishes a workspace run with runlens push, and a second push adds nothing', async () => {
    const local = path.join(work, 'local.db');
    const script = path.join(REPO, 'examples', 'scraping_workflow.py');
    const r = await runCli(['run', '--db', local, '--name', 'mine', '--port', '0', '--grpc-port', '0', '--', 'python3', script], work);
    assert.ok(r.code !== null, r.stderr);
    const first = await runCli(['push', 'last', '--db', local, '--to', db.url], work, { env: env() });
    assert.equal(first.code, 0, first.stderr);
    const m = /published (\S+) .* (\d+) spans/.exec(first.stdout);
    assert.ok(m, first.stdout);
    const again = await runCli(['push', m[1]!, '--db', local, '--to', db.url], work, { env: env() });
    assert.equal(again.code, 0, again.stderr);
    const shown = await runCli(['show', m[1]!, '--db', db.url, '--json'], work, { env: env() });
    const team = JSON.parse(shown.stdout) as { run: { spanCount: number; status: string }; spans: unknown[] };
    const mine = JSON.parse((await runCli(['show', m[1]!, '--db', local, '--json'], work)).stdout) as typeof team;
    assert.equal(team.spans.length, mine.spans.length);
    assert.equal(team.run.spanCount, mine.run.spanCount);
    assert.equal(team.run.status, mine.run.status);
  });

  it('says in one line when the password is wrong, without printing it', async () => {
    const r = await runCli(['list', '--db', db.url], work, { env: { PGPASSWORD: 'not-the-password' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /authentication failed/);
    assert.doesNotMatch(r.stderr, /not-the-password/);
  });

  it('imports a trace file into the team database', async () => {
    const fixture = path.join('otlp', 'agent-run.json');
    assert.ok(fixture, 'an OTLP JSON fixture');
    const r = await runCli(['import', path.join(REPO, 'test', 'fixtures', fixture), '--db', db.url], work, { env: env() });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const again = await runCli(['import', path.join(REPO, 'test', 'fixtures', fixture), '--db', db.url], work, { env: env() });
    assert.equal(again.code, 0, again.stderr + again.stdout);
  });
});
