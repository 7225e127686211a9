/** Topic patterns (exact, * for a segment, > for the rest) and the permissions built from them. */
import t from 'tap'
import { PatternSet } from '../../src/access/patterns.js'
import { Permissions } from '../../src/access/permissions.js'

t.test('exact names, * for one segment, > for the rest', async (t) => {
  const set = new PatternSet(['booked', 'user.u42.*', 'board.>', 'a.*.c'])
  t.ok(set.matches('booked'))
  t.notOk(set.matches('booked.x'), 'an exact name is not a prefix')
  t.ok(set.matches('user.u42.inbox'))
  t.notOk(set.matches('user.u43.inbox'), 'another user')
  t.notOk(set.matches('user.u42'), '* needs a segment')
  t.notOk(set.matches('user.u42.inbox.x'), '* is one segment only')
  t.ok(set.matches('board.zoo'))
  t.ok(set.matches('board.zoo.north'), '> takes every further segment')
  t.notOk(set.matches('board'), '> needs at least one segment')
  t.ok(set.matches('a.b.c'))
  t.notOk(set.matches('a.b.d'))
  t.notOk(set.matchesEverything)
})

t.test('an exact branch that fails falls back to a * branch', async (t) => {
  const set = new PatternSet(['a.b.c', 'a.*.d'])
  t.ok(set.matches('a.b.d'))
  t.notOk(set.matches('a.x.c'))
})

t.test('> alone matches everything; no pattern matches nothing', async (t) => {
  t.ok(new PatternSet(['>']).matchesEverything)
  t.ok(new PatternSet(['>']).matches('any.topic:at-all'))
  t.notOk(new PatternSet([]).matches('booked'))
})

t.test('permissions per action', async (t) => {
  const permissions = new Permissions({ subscribe: ['>'], publish: ['chat.*'] })
  t.ok(permissions.can('subscribe', 'booked'))
  t.ok(permissions.canEverything('subscribe'))
  t.ok(permissions.can('publish', 'chat.room1'))
  t.notOk(permissions.can('publish', 'booked'))
  t.notOk(permissions.canEverything('publish'))
  t.notOk(permissions.can('enqueue', 'bookings'), 'nothing granted: nothing allowed')
  t.ok(Permissions.all.can('consume', 'bookings'))
})
