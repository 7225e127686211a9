-- BridgeRelay (bridge-relay.ts): takes or renews the bridge lease; returns 1 while this instance holds it.
local key, id, ttl = KEYS[1], ARGV[1], ARGV[2]
if redis.call('SET', key, id, 'NX', 'PX', ttl) then return 1 end
if redis.call('GET', key) == id then redis.call('PEXPIRE', key, ttl) return 1 end
return 0
