// Two projects: the server side (node) and the mini-program (jsdom). Both compile with swc;
// type checking is `npm run typecheck`, not jest's job.
const swc = (tsx) => ['@swc/jest', {
  jsc: { parser: { syntax: 'typescript', tsx, decorators: false }, target: 'es2022',
    transform: tsx ? { react: { runtime: 'automatic' } } : undefined },
  module: { type: 'commonjs' },
}];

// Browser journeys on the H5 build (headless Chromium): only with PARKPAY_E2E=1 (scripts/e2e.sh), because
// they need `npm run build:h5` and /usr/bin/chromium first.
const e2e = {
  displayName: 'e2e',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  transform: { '^.+\\.ts$': swc(false) },
  globalSetup: '<rootDir>/test/e2e/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/e2e/support/global-teardown.ts',
  // Dynamic imports name the emitted file (nodenext: '../sandbox/demo.js'); jest runs the .ts source.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

module.exports = {
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // A test or hook that needs longer than this is stuck, not slow: a world of sandboxes on a real database
  // can take several seconds to start on a busy 2-core machine, far beyond jest's default of 5 s. (Waits
  // inside tests are for conditions, with bounds of their own: test/support/eventually.ts.)
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'server',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['<rootDir>/test/{server,shared,scripts}/**/*.test.ts'],
      transform: { '^.+\\.ts$': swc(false) },
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      // Dynamic imports name the emitted file (nodenext: '../sandbox/demo.js'); jest runs the .ts source.
      moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    },
    {
      displayName: 'miniapp',
      testEnvironment: 'jsdom',
      roots: ['<rootDir>/test/miniapp'],
      testMatch: ['<rootDir>/test/miniapp/**/*.test.{ts,tsx}'],
      transform: { '^.+\\.(t|j)sx?$|^.+\\.mjs$': swc(true) },
      transformIgnorePatterns: ['/node_modules/(?!(@tarojs|@stencil|swiper|classnames|tslib|\\.pnpm)/)'],
      setupFiles: ['<rootDir>/test/miniapp/support/setup.ts'],
      globals: {
        ENABLE_INNER_HTML: true, ENABLE_ADJACENT_HTML: true, ENABLE_SIZE_APIS: true, ENABLE_TEMPLATE_CONTENT: true,
        ENABLE_MUTATION_OBSERVER: true, ENABLE_CLONE_NODE: true, ENABLE_CONTAINS: true,
        DEPRECATED_ADAPTER_COMPONENT: false, __TARO_FRAMEWORK__: 'react',
      },
      moduleNameMapper: {
        '^@tarojs/taro$': '<rootDir>/test/miniapp/support/taro-mock.ts',
        '^@tarojs/components$': '@tarojs/components/lib/react/index',
        '\\.(css|less|scss)$': '<rootDir>/test/miniapp/support/style-stub.ts',
        '^@shared/(.*)$': '<rootDir>/shared/$1',
        '^@/(.*)$': '<rootDir>/miniapp/src/$1',
      },
    },
    ...(process.env.PARKPAY_E2E === '1' ? [e2e] : []),
  ],
};
