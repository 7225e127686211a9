/** METRICS_ALLOW parsing and matching: addresses, networks, IPv4 clients seen on a dual-stack socket. */
import t from 'tap'
import { isAllowed, parseAllowList } from '../../src/metrics/allow-list.js'

t.test('an empty list sets no address rule', async (t) => {
  t.equal(parseAllowList(' , '), undefined)
})

t.test('addresses and networks of both families', async (t) => {
  const list = parseAllowList('10.0.0.0/8, 192.168.1.7, fd00::/8, ::1')!
  t.ok(isAllowed(list, '10.2.3.4'))
  t.ok(isAllowed(list, '::ffff:10.2.3.4'), 'an IPv4 client on a dual-stack socket')
  t.ok(isAllowed(list, '192.168.1.7'))
  t.notOk(isAllowed(list, '192.168.1.8'))
  t.ok(isAllowed(list, 'fd12::5'))
  t.ok(isAllowed(list, '::1'))
  t.notOk(isAllowed(list, '2001:db8::1'))
  t.notOk(isAllowed(list, 'not-an-address'))
})

t.test('a bad entry is named', async (t) => {
  for (const entry of ['localhost', '10.0.0.0/33', '::1/129', '10.0.0.0/x', '10.0.0.0/8/8']) {
    t.throws(() => parseAllowList(`127.0.0.1,${entry}`), { message: `Invalid configuration: METRICS_ALLOW entry "${entry}" must be an IP address or a network such as 10.0.0.0/8` })
  }
})
