import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const SANDBOX = {
  group: ['**/sandbox', '**/sandbox/**'],
  allowTypeImports: true,
  message: 'server/src/ is production code: the stand-ins live in server/sandbox/, loaded only by demo mode through a dynamic import.',
};
/** require('…sandbox…') and import('…sandbox…'): the forms no-restricted-imports does not see. */
const SANDBOX_REQUIRE = {
  selector: "CallExpression[callee.name='require'][arguments.0.value=/(^|\\/)sandbox(\\/|$)/]",
  message: SANDBOX.message,
};
const SANDBOX_DYNAMIC = {
  selector: 'ImportExpression[source.value=/(^|\\/)sandbox(\\/|$)/]',
  message: 'Only server.ts loads the stand-ins (demo mode, a dynamic import); production code never does.',
};
const MONGOOSE = { group: ['mongoose', 'mongodb'], message: 'mongoose lives only in server/src/repository/.' };

export default tseslint.config(
  { ignores: ['node_modules/', 'miniapp/dist/', 'dist/', '.cache/', '.data/', 'coverage/', '**/*.js', 'tools/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    // A function a reader holds in one screen: no more than 80 lines of code (blank lines and comments not
    // counted) in production code, the stand-ins and the mini-program. Tests are exempt (a journey reads top
    // to bottom).
    files: ['server/**/*.ts', 'shared/**/*.ts', 'miniapp/src/**/*.{ts,tsx}'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    // Production code (server/src/) never loads the stand-ins: only demo mode imports server/sandbox/, with a
    // dynamic import (server.ts). Type imports are erased, so they are allowed.
    files: ['server/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [SANDBOX] }],
      'no-restricted-syntax': ['error', SANDBOX_REQUIRE, SANDBOX_DYNAMIC],
    },
  },
  {
    // The one place demo mode's stand-ins are loaded from, only when config.mode is demo.
    files: ['server/src/server.ts'],
    rules: {
      'no-restricted-syntax': ['error', SANDBOX_REQUIRE],
    },
  },
  {
    // mongoose lives only in repository/.
    files: ['server/src/{core,port,adapter}/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [MONGOOSE, SANDBOX] }],
    },
  },
  {
    // shared/ is bundled into the mini-program: no Node-only modules.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'crypto', 'fs', 'path', 'mongoose', 'mongodb'], message: 'shared/ runs in the mini-program too: no Node-only imports.' }] }],
    },
  },
  {
    // Layering: core decides, it does not touch mongoose, HTTP or the payment SDKs.
    files: ['server/src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['mongoose', 'mongodb', 'koa', '@koa/*', 'wechatpay-node-v3', 'alipay-sdk'], message: 'core/ has no I/O libraries: define an interface and implement it in repository/ or adapter/.' },
        { group: ['**/port/**', '**/repository/**', '**/adapter/**'], message: 'imports point inward: core/ must not import ports, repositories or adapters.' },
        SANDBOX,
      ] }],
    },
  },
);
