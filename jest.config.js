/** Jest runs the TypeScript sources as ESM through ts-jest, transpile-only (`npm test` type-checks with tsc first). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, diagnostics: false }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/{src,connectors,mappings,jobs,reports,test}/**/*.test.ts'],
  testTimeout: 120000,
  // The end-to-end suites share one lab (and one restarts Courier): run files one after another.
  maxWorkers: 1,
  // Installs the lab's Debian packages once (idempotent), so `npm test` alone works on a fresh machine.
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
};
