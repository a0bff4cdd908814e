/** @type {import('jest').Config} */
module.exports = {
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  testEnvironment: 'node',
  testTimeout: 60000,
  // The component and end-to-end suites each start servers; two workers suit a 2-core machine.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/tests/summaryReporter.js'],
};
