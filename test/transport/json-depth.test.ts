/** The nesting scan that guards JSON.parse: depth counted like the parser would, strings skipped. */
import t from 'tap'
import { nestsDeeperThan } from '../../src/transport/json-depth.js'

t.test('counts objects and arrays inside one another', async (t) => {
  t.equal(nestsDeeperThan('{"a":[1,{"b":2}]}', 3), false, 'three levels are within a limit of 3')
  t.equal(nestsDeeperThan('{"a":[1,{"b":2}]}', 2), true, 'but past a limit of 2')
  t.equal(nestsDeeperThan('[[],[],[],[]]', 2), false, 'siblings do not add up')
  t.equal(nestsDeeperThan('"plain" ', 0), false, 'a scalar has no depth')
})

t.test('brackets inside strings, escaped quotes included, do not count', async (t) => {
  t.equal(nestsDeeperThan('{"m":"[[[[{{{{"}', 1), false)
  t.equal(nestsDeeperThan('{"m":"a\\"[[[[[[\\\\"}', 1), false, 'an escaped quote does not end the string, an escaped backslash does not escape the quote after it')
  t.equal(nestsDeeperThan('{"m":"\\\\",  "n":[[1]]}', 2), true, 'after an escaped backslash the string ends and brackets count again')
})

t.test('a 32k-deep document is refused without recursion', async (t) => {
  const deep = '['.repeat(32_768) + ']'.repeat(32_768)
  t.equal(nestsDeeperThan(deep, 64), true)
  t.equal(nestsDeeperThan('['.repeat(64) + ']'.repeat(64), 64), false, 'exactly the limit passes')
})
