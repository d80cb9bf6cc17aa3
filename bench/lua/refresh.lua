-- POST /auth/refresh, each refresh token used once:
--   wrk -s refresh.lua <url> -- <token file> <thread count>
-- Thread i takes lines i, i+n, i+2n, ... so no two threads share a token.
local threads = 0
setup = function(thread)
  thread:set("index", threads)
  threads = threads + 1
end

init = function(args)
  tokens = {}
  local count = tonumber(args[2])
  local line_number = 0
  for line in io.lines(args[1]) do
    if line_number % count == index then
      table.insert(tokens, line)
    end
    line_number = line_number + 1
  end
  next_token = 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  local token = tokens[next_token] or "pool-exhausted"
  next_token = next_token + 1
  return wrk.format(nil, nil, nil, '{"refresh": "' .. token .. '"}')
end
