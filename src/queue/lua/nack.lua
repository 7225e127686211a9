-- ARGV 6-10: queue, job id, receipt, error, delay (ms). Returns 200, 409 (not held) or 404 (unknown job).
local queue, id, receipt, err, delay = ARGV[6], ARGV[7], ARGV[8], ARGV[9], tonumber(ARGV[10])
local held = holds(queue, id, receipt)
if held ~= 200 then return held end
giveBack(queue, id, err, delay)
touch(queue)
return 200
