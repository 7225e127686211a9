-- ARGV 6-7: queue, visibility (ms), then one new receipt per job wanted. Returns { id, receipt, message, attempt, enqueuedAt } per job.
local queue, visibility = ARGV[6], tonumber(ARGV[7])
if not redis.call('ZSCORE', p .. 'queues', queue) then return {} end
sweepQueue(queue, 100)
local popped = redis.call('ZPOPMIN', key('wait', queue), #ARGV - 7)
local jobs = {}
for i = 1, #popped, 2 do
  local id, receipt = popped[i], ARGV[7 + (i + 1) / 2]
  local job = jobKey(queue, id)
  local attempts = redis.call('HINCRBY', job, 'attempts', 1)
  redis.call('HSET', job, 'state', 'active', 'receipt', receipt)
  redis.call('ZADD', key('active', queue), now + visibility, id)
  local fields = redis.call('HMGET', job, 'message', 'enqueuedAt')
  table.insert(jobs, { id, receipt, fields[1], attempts, fields[2] })
end
touch(queue)
return jobs
