-- wrk script of serve_vs_nginx.sh: each thread walks the shuffled tile paths (one per line of the
-- file given after `--`) from its own offset, with Accept-Encoding: gzip.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local paths = {}
local index = 1
function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  index = ((id or 1) * 4999) % #paths + 1
end

function request()
  local path = paths[index]
  index = index % #paths + 1
  return wrk.format("GET", path, {["Accept-Encoding"] = "gzip"})
end
