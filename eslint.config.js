import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', '.tap/**', 'node_modules/**']
  }),
  {
    rules: {
      // typebox names a schema and its Static<> type alike; tsc still catches real redeclarations
      '@typescript-eslint/no-redeclare': 'off'
    }
  }
]
