-- ARGV 6-7: queue, job id. Returns { state, attempts, result or '', error or '', position or -1 }, nil for an unknown job.
local queue, id = ARGV[6], ARGV[7]
local fields = redis.call('HMGET', jobKey(queue, id), 'state', 'attempts', 'result', 'error')
if not fields[1] then return nil end
local position = -1
if fields[1] == 'waiting' then position = redis.call('ZRANK', key('wait', queue), id) + 1
elseif fields[1] == 'delayed' then position = delayedPlace(queue, id) end
return { fields[1], tonumber(fields[2]), fields[3] or '', fields[4] or '', position }
