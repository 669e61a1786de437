-- Classification only: the reference service's workload.
local bodies = {
  '{"sequence":"A father hunts for a sold-out toy for his son on Christmas Eve.","labels":["christmas","basketball","ocean"],"multi_label":true}',
  '{"sequence":"Cartoon characters team up with a basketball star to play against aliens.","labels":["christmas"]}',
  '{"sequence":"A clownfish is lost in the ocean and his father crosses the reef to find him.","labels":["ocean","space","heist"],"multi_label":true}',
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/api/classify", { ["Content-Type"] = "application/json" }, bodies[(i % #bodies) + 1])
end
