-- A busy ward's traffic as wrk requests (`cargo xtask bench load` runs it; see README):
-- phones push new records and pull what changed, supervisors work the review queue, open
-- records and look at the counts and the dashboard.
--
-- Per 100 requests: 20 pushes of 1-3 neighborhood reports (group leader and officer), 32 pulls
-- from the phone's cursor, 22 queue pages (no filter, a state, a search, an urgency, a
-- category), 12 records opened, 8 queue counts, 2 dashboards (a supervisor opens the ward's
-- indicators a few times a day, the queue dozens of times), 4 `me`.
--
-- The run's settings come from the Lua file named by WARDBOOK_LOAD_CONFIG, written by xtask:
-- tokens, ids of stored records, reports to push (an id to fill in) and the starting cursor.
-- Every answer is checked: a push must answer "accepted" for each record it sent, anything
-- else is counted as an error. done() prints one line of JSON that xtask reads.

local cfg = dofile(os.getenv("WARDBOOK_LOAD_CONFIG"))
-- `cargo xtask bench load --by-kind` runs each kind alone: WARDBOOK_LOAD_ONLY names it,
-- WARDBOOK_LOAD_RUN gives the run another tag, so that its pushes' ids are new, and
-- WARDBOOK_LOAD_CURSOR is where the phones are by then.
local only = os.getenv("WARDBOOK_LOAD_ONLY")
cfg.run = tonumber(os.getenv("WARDBOOK_LOAD_RUN") or "") or cfg.run
cfg.cursor = tonumber(os.getenv("WARDBOOK_LOAD_CURSOR") or "") or cfg.cursor
-- The share of each kind, as the draw of `request` below gives it: the first and last number
-- it draws for the kind.
local draws = {
  push = { 1, 20 }, pull = { 21, 52 }, queue = { 53, 74 }, record = { 75, 86 },
  counts = { 87, 94 }, dashboard = { 95, 96 }, me = { 97, 100 },
}
if only and not draws[only] then
  error("WARDBOOK_LOAD_ONLY names no kind of request: " .. only)
end

local threads = {}

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

-- Per thread (each thread runs its own copy of this script).
sent_records = 0
accepted = 0
not_accepted = 0
bad_status = 0
counts = {}
local serial = 0
local cursor = cfg.cursor

function init(args)
  math.randomseed(cfg.seed + thread_no)
end

local function bump(kind)
  counts[kind] = (counts[kind] or 0) + 1
end

-- Unique within the run: the run's tag, the thread and a counter, laid out as a v7 uuid.
local function new_id()
  serial = serial + 1
  return string.format("%08x-%04x-7000-8000-%012x", cfg.run, thread_no, serial)
end

local function get(path, token)
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

local function push(token)
  local n = math.random(1, 3)
  local records = {}
  for i = 1, n do
    local template = cfg.templates[math.random(#cfg.templates)]
    records[i] = (template:gsub("__ID__", new_id()))
  end
  sent_records = sent_records + n
  return wrk.format("POST", "/api/sync/push", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, '{"records":[' .. table.concat(records, ",") .. "]}")
end

local queues = {
  "/api/records?limit=50",
  "/api/records?status=received&limit=50",
  "/api/records?q=" .. cfg.search .. "&limit=50",
  "/api/records?urgency=urgent&limit=50",
  "/api/records?category=theft&status=received&limit=50",
}

function request()
  local r = only and math.random(draws[only][1], draws[only][2]) or math.random(100)
  if r <= 20 then
    bump("push")
    if r <= 14 then return push(cfg.leader) else return push(cfg.officer) end
  elseif r <= 52 then
    bump("pull")
    local token = r <= 42 and cfg.leader or cfg.officer
    return get("/api/sync/pull?cursor=" .. cursor .. "&limit=100", token)
  elseif r <= 74 then
    bump("queue")
    return get(queues[math.random(#queues)], cfg.supervisor)
  elseif r <= 86 then
    bump("record")
    return get("/api/records/" .. cfg.ids[math.random(#cfg.ids)], cfg.supervisor)
  elseif r <= 94 then
    bump("counts")
    return get("/api/records/counts", cfg.supervisor)
  elseif r <= 96 then
    bump("dashboard")
    return get("/api/indicators", cfg.supervisor)
  else
    bump("me")
    return get("/api/me", cfg.leader)
  end
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
    return
  end
  if body:find('"results":', 1, true) then
    local _, ok = body:gsub('"outcome":"accepted"', "")
    local _, all = body:gsub('"outcome":', "")
    accepted = accepted + ok
    not_accepted = not_accepted + (all - ok)
  else
    local c = body:match('^{"changes":.*"cursor":(%d+),"more"')
    if c and tonumber(c) > cursor then cursor = tonumber(c) end
  end
end

function done(summary, latency, requests)
  local out = {
    requests = summary.requests,
    duration_us = summary.duration,
    connect_errors = summary.errors.connect,
    read_errors = summary.errors.read,
    write_errors = summary.errors.write,
    status_errors = summary.errors.status,
    timeouts = summary.errors.timeout,
    p50_us = latency:percentile(50),
    p90_us = latency:percentile(90),
    p99_us = latency:percentile(99),
    max_us = latency.max,
  }
  local totals = { sent_records = 0, accepted = 0, not_accepted = 0, bad_status = 0 }
  local kinds = {}
  for _, t in ipairs(threads) do
    for k, _ in pairs(totals) do
      totals[k] = totals[k] + t:get(k)
    end
    for kind, n in pairs(t:get("counts")) do
      kinds[kind] = (kinds[kind] or 0) + n
    end
  end
  local parts = {}
  for k, v in pairs(out) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
  for k, v in pairs(totals) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
  local kparts = {}
  for k, v in pairs(kinds) do kparts[#kparts + 1] = string.format('"%s":%d', k, v) end
  parts[#parts + 1] = '"kinds":{' .. table.concat(kparts, ",") .. "}"
  io.write("WARDBOOK_LOAD {" .. table.concat(parts, ",") .. "}\n")
end
