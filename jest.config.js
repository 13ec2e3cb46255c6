/** Two tiers: unit specs next to the code, e2e suites in test/ against real Postgres and Redis. */
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@gatehouse/(.*)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
};

export default {
  // Global only: Jest ignores testTimeout inside a project. E2E hooks start real processes.
  testTimeout: 60_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      // The root's own spec checks nest-cli.json, which lives there.
      testMatch: ['<rootDir>/{apps,libs,bench}/**/*.spec.ts', '<rootDir>/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
