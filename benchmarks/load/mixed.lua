-- A mixed workload as the dashboard and clients produce it: searches (text, genre, field sort,
-- trending blend), trending reads, classification, catalog and model lists, liveness.
-- Built in init (per thread): wrk.format adds the Host header only once wrk has set it up.
local requests = {}
local function get(path) return wrk.format("GET", path) end
local function post(path, body) return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body) end

function init(args)
requests[#requests + 1] = get("/api/search?q=christmas")
requests[#requests + 1] = get("/api/search?genre=Family&sort=classification_christmas&size=10")
requests[#requests + 1] = get("/api/search?q=snow&sort=trending&explain=true")
requests[#requests + 1] = get("/api/search?q=christ*%20OR%20ocean")
requests[#requests + 1] = get("/api/trending?top=5")
requests[#requests + 1] = get("/api/catalog")
requests[#requests + 1] = get("/api/models")
requests[#requests + 1] = get("/api/reclassify/runs")
requests[#requests + 1] = get("/healthz")
requests[#requests + 1] = post("/api/classify", '{"sequence":"A father hunts for a sold-out toy for his son on Christmas Eve.","labels":["christmas","basketball","ocean"],"multi_label":true}')
requests[#requests + 1] = post("/classify", '{"sequence":"Cartoon characters team up with a basketball star to play against aliens.","labels":["christmas"]}')
end

local i = 0
request = function()
  i = i + 1
  return requests[(i % #requests) + 1]
end
