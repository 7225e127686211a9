-- ARGV 6: queue; then per ack (the acks of one event-loop turn, in order): job id, receipt, result (JSON).
-- Returns per ack 200, 409 (not held) or 404 (unknown job). The jobs done go out as one event message.
local queue = ARGV[6]
local results, events = {}, {}
for i = 7, #ARGV, 3 do
  local id, receipt, result = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local held = holds(queue, id, receipt)
  if held == 200 then
    redis.call('ZREM', key('active', queue), id)
    redis.call('HSET', jobKey(queue, id), 'result', result)
    finish(queue, id, 'done')
    events[#events + 1] = eventJson('done', queue, id, ',"result":' .. result)
  end
  results[#results + 1] = held
end
if #events > 0 then
  touch(queue)
  redis.call('PUBLISH', p .. 'events', '[' .. table.concat(events, ',') .. ']')
end
return results
