/**
 * One writer of the team concurrency test (test/unit/team-concurrency.test.ts), as a process of
 * its own (a "machine"'s writer): `node teamWriter.cjs '<plan JSON>'` with PGPASSWORD and
 * RUNLENS_TEAM_URL in its environment. It writes its plan (teamWriterPlan.ts) through the team
 * store from the first batch to the last, prints `batch N started` before each apply and
 * `batch N applied` after it (stdout to a pipe is synchronous: what the test reads is what
 * happened), ends its own run and prints `done`. Run again after a kill, it sends everything
 * again from the start.
 */
'use strict';
require('tsx/cjs');
const os = require('node:os');
const { openTeamStore } = require('../../../src/core/store/pg');
const { batchCount, batchOf, errLines, machineOf, outLines, ownRun, sharedRun } = require('./teamWriterPlan.ts');

async function main() {
  const plan = JSON.parse(process.argv[2]);
  const store = await openTeamStore({ url: process.env.RUNLENS_TEAM_URL });
  const say = (line) => process.stdout.write(`${line}\n`);
  say(`open ${plan.name} pid ${process.pid} host ${os.hostname()} cwd ${process.cwd()}`);
  const n = batchCount(plan);
  for (let b = 0; b <= n; b++) {
    const batch = batchOf(plan, b);
    say(`batch ${b} started`);
    const r = store.apply(batch);
    if (r.rejected) throw new Error(`batch ${b}: ${r.rejected} rejected: ${r.rejectMessage}`);
    say(`batch ${b} applied`);
    if (b === n) break;
    const out = outLines(plan, b);
    store.appendOutput(ownRun(plan.name), 'stdout', out.lines, out.start);
    const err = errLines(plan, b);
    store.appendOutput(sharedRun(machineOf(plan.name), 0), 'stderr', err.lines, err.start);
  }
  store.endRun(ownRun(plan.name), { exitCode: 0, endNs: 1_770_000_000_000_000_000n });
  say('done');
  await store.close();
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
