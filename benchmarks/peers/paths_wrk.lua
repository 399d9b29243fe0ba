-- wrk script: each request takes the next path of a file (one path per line), so that a run
-- spreads over many different queries. Usage: wrk ... -s paths_wrk.lua http://host:port -- FILE
local paths = {}
local next_index = 0

function init(args)
  local file = assert(io.open(args[1], "r"), "paths_wrk.lua: cannot open " .. tostring(args[1]))
  for line in file:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  file:close()
  assert(#paths > 0, "paths_wrk.lua: no path in " .. args[1])
  -- Threads start at different places of the list.
  next_index = math.random(#paths) - 1
end

function request()
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[next_index])
end
