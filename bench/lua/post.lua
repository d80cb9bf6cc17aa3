-- POST a fixed JSON body: wrk -s post.lua <url> -- <body file>
init = function(args)
  local file = assert(io.open(args[1], "r"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
