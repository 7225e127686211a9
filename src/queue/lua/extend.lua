-- ARGV 6-9: queue, job id, receipt, visibility (ms). Holds the job that long from now; returns 200, 409 or 404.
local queue, id, receipt, visibility = ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9])
local held = holds(queue, id, receipt)
if held ~= 200 then return held end
redis.call('ZADD', key('active', queue), 'XX', now + visibility, id)
return 200
