// Mutation testing of the money core: `npm run mutation` (long; not part of `npm test`).
// `npm run mutation -- --mutate 'src/core/usage/**/*.ts'` runs one folder. Incremental: a second
// run re-tests only mutants whose code or tests changed (reports/stryker-incremental.json).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'mocha',
  mutate: [
    'src/core/usage/**/*.ts',
    'src/core/pricing/**/*.ts',
    'src/core/sessions/**/*.ts',
    '!src/core/**/*.d.ts',
  ],
  mochaOptions: {
    // The unit tests of these folders and of what folds their output; not the slow process-level ones.
    spec: [
      'test/unit/usage/**/*.test.ts',
      'test/unit/pricing/**/*.test.ts',
      'test/unit/sessions/**/*.test.ts',
      'test/unit/ledger/**/*.test.ts',
      'test/unit/money.test.ts',
      'test/unit/hardening/writer.test.ts',
      'test/unit/hardening/readerFuzz.test.ts',
      'test/unit/hardening/mutants.test.ts',
    ],
    ignore: ['test/unit/sessions/concurrency.test.ts'],
    require: ['tsx/cjs'],
  },
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 2,
  timeoutMS: 20000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', '.cache', '.artifacts', '.demo', 'reports', 'test/e2e', 'node_modules/.cache'],
  cleanTempDir: true,
};
