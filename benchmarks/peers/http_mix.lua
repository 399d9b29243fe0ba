-- wrk script: each connection cycles through the paths listed (one per line) in the file named
-- by the MIX_PATHS environment variable, starting at a different offset per thread.
local paths = {}
local counter = 0

function init(args)
  local file = assert(io.open(os.getenv("MIX_PATHS"), "r"))
  for line in file:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  file:close()
  counter = math.random(#paths)
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
