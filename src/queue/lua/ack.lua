-- ARGV 6-9: queue, job id, receipt, result (JSON). Returns 200, 409 (not held) or 404 (unknown job).
local queue, id, receipt, result = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local held = holds(queue, id, receipt)
if held ~= 200 then return held end
redis.call('ZREM', key('active', queue), id)
redis.call('HSET', jobKey(queue, id), 'result', result)
finish(queue, id, 'done')
event('done', queue, id, ',"result":' .. result)
touch(queue)
return 200
