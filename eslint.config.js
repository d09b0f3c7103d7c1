// `npm run lint` (and `npm run check`): ESLint's and typescript-eslint's recommended rules over
// the sources, the tests and the hand-run scripts. The type-checked presets are left out: they
// took 25-60 s here against 7 s, and most of what they add is about the tests' deliberately loose
// reply type (`Frame`) and tap's unawaited t.test calls.
import { defineConfig } from 'eslint/config'
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'
import hubq from './eslint/layers.js'

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tap/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {
        // An implementation that ignores a parameter of its interface names it `_queue`.
        argsIgnorePattern: '^_',
        // `const { id: _id, ...rest } = reply` picks a field out to leave it off the rest.
        ignoreRestSiblings: true,
      }],
      // `let timer; ... timer = start(callback)`: the callback made first reads the handle later.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // prom-client calls a metric's collect() with the metric as `this`: the broker's is `metrics`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['metrics'] }],
    },
  },
  {
    // Imports point down only (STYLE.md); the zones are listed in eslint/layers.js.
    files: ['shared/**/*.ts', 'producer/**/*.ts', 'consumer/**/*.ts', 'broker/**/*.ts'],
    plugins: { hubq },
    rules: {
      'hubq/layers': 'error',
      // A file holds one idea and reads in one sitting (STYLE.md).
      'max-lines': ['error', { max: 400 }],
    },
  },
  {
    // The bench and hand-run scripts are plain Node modules.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
)
