// Mocha's spec reporter plus one closing line in the plain form CI reads for any runner:
// "e2e: N passed, N failed" (pending tests would be added as ", N skipped").
'use strict';
const Mocha = require('mocha');

class E2EReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats;
      const skipped = s.pending ? `, ${s.pending} skipped` : '';
      process.stdout.write(`e2e: ${s.passes} passed, ${s.failures} failed${skipped}\n`);
    });
  }
}

module.exports = E2EReporter;
