/** Jest runs the TypeScript sources as ESM through SWC (no type-check here: `npm test` runs tsc first). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/{src,connectors,mappings,jobs,reports,test}/**/*.test.ts'],
  testTimeout: 120000,
  // The end-to-end suites share one lab (and one restarts Courier): run files one after another.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
};
