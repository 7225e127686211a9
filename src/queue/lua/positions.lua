-- ARGV 6: queue, then job ids. Per job: its place in line (a delayed job's is the one it comes back to), 0 held, -2 finished or gone.
local queue = ARGV[6]
local wait = key('wait', queue)
local positions = {}
for i = 7, #ARGV do
  local rank = redis.call('ZRANK', wait, ARGV[i])
  if rank then
    table.insert(positions, rank + 1)
  else
    local state = redis.call('HGET', jobKey(queue, ARGV[i]), 'state')
    if state == 'active' then table.insert(positions, 0)
    elseif state == 'delayed' then table.insert(positions, delayedPlace(queue, ARGV[i]))
    else table.insert(positions, -2) end
  end
end
return positions
