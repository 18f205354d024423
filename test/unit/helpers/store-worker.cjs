// The store's thread for tests: the TypeScript worker under tsx (the extension runs the built dist/storeWorker.js).
require('tsx/cjs');
require('../../../src/core/store/worker.ts');
