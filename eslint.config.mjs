import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.test-artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The engine must run headless (CLI, CI): no runtime dependency on the VS Code API. Nor on the
    // scripted model, a test double: the CLI and the extension inject it as the offline model.
    files: ['src/core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core must not import vscode at runtime', allowTypeImports: true }],
          patterns: [
            {
              group: ['**/scripted', '**/scripted/**'],
              message: 'src/core must not import src/scripted (a test double): take the offline model as an injected dependency',
            },
          ],
        },
      ],
      'no-restricted-imports': 'off',
    },
  },
);
