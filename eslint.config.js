import globals from 'globals'
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    // tmp/ holds the tests' compiled server
    ignores: ['dist/**', '.tap/**', 'node_modules/**', 'tmp/**']
  }),
  {
    rules: {
      // typebox names a schema and its Static<> type alike; tsc still catches real redeclarations
      '@typescript-eslint/no-redeclare': 'off'
    }
  },
  {
    // the live page's script runs in the browser
    files: ['public/**/*.js'],
    languageOptions: { globals: globals.browser }
  }
]
