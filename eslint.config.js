// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// smtp-server's internals stay behind one adapter, pinned by one contract test, so
// that an upgrade fails there and not in production (docs/adr/004).
const SMTP_SERVER_INTERNALS = {
  group: ['smtp-server/lib', 'smtp-server/lib/*', 'smtp-server/dist/*'],
  message:
    'smtp-server internals go through services/ingress/src/smtp-server-adapter/ (docs/adr/004).',
};
const SERVICES_FROM_PACKAGES = {
  group: ['@smtp-relay/ingress', '@smtp-relay/sender', '@smtp-relay/cli', '@smtp-relay/all-in-one'],
  message: 'packages never import services (docs/architecture.md).',
};
const TESTKIT_OUTSIDE_TESTS = {
  group: ['@smtp-relay/testkit', '@smtp-relay/testkit/*'],
  message: 'the testkit is for tests only (docs/architecture.md).',
};

export default defineConfig(
  { ignores: ['**/node_modules/**'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // An un-awaited store/enqueue in onData would answer 250 for mail never stored.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.test.ts', 'e2e/**/*.ts'],
    rules: {
      // node:test's describe/it return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
    },
  },
  // The layering of docs/architecture.md (e2e/workspace-dependencies.test.ts checks
  // the package manifests the same way). One block per file group, because a later
  // block's no-restricted-imports replaces an earlier one's for the same file.
  {
    ignores: ['services/ingress/src/smtp-server-adapter/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [SMTP_SERVER_INTERNALS] }] },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/testkit/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [SMTP_SERVER_INTERNALS, SERVICES_FROM_PACKAGES, TESTKIT_OUTSIDE_TESTS] },
      ],
    },
  },
  {
    files: ['packages/testkit/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [SMTP_SERVER_INTERNALS, SERVICES_FROM_PACKAGES] },
      ],
    },
  },
  {
    files: ['services/*/src/**/*.ts'],
    ignores: ['services/ingress/src/smtp-server-adapter/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [SMTP_SERVER_INTERNALS, TESTKIT_OUTSIDE_TESTS] },
      ],
    },
  },
  prettier,
);
