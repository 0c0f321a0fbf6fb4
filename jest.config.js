/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper: {
    '^express-magic-link$': '<rootDir>/lib/index.ts',
    '^express-magic-link/testing$': '<rootDir>/lib/testing/index.ts',
  },
  // A bound for a stuck test, not a speed target: on a shared 2-core machine under heavy load an
  // ordinary sign-in test can take tens of seconds. Long suites set their own bounds.
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
  // The browser, two-instance and packaging suites start real processes; two workers suit this 2-core machine.
  maxWorkers: 2,
};
