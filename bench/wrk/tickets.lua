-- wrk script for the tickets benchmark.
--
-- Environment:
--   BENCH_TOKEN_FILE  file holding the bearer token (never on the command line)
--   BENCH_PATHS_FILE  one request path per line; each request takes a random one
--   BENCH_METHOD      GET (default) or POST
--   BENCH_BODY_FILE   with POST: the JSON body sent with every request
--
-- done() prints one line `BENCH_JSON {...}` with requests/s and latency percentiles (ms),
-- the same shape as foundation.lua, plus the count of non-2xx answers by status class.

local paths = {}
local method = os.getenv("BENCH_METHOD") or "GET"
local body = nil
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
  table.insert(threads, thread)
end

local function read_all(name)
  local f = assert(io.open(name, "r"), "cannot open " .. name)
  local text = f:read("*a")
  f:close()
  return text
end

function init(args)
  local token = read_all(assert(os.getenv("BENCH_TOKEN_FILE"), "BENCH_TOKEN_FILE unset"))
  local trimmed = token:gsub("%s+$", "")
  wrk.headers["Authorization"] = "Bearer " .. trimmed
  wrk.headers["Accept"] = "application/json"
  local paths_file = assert(os.getenv("BENCH_PATHS_FILE"), "BENCH_PATHS_FILE unset")
  for line in io.lines(paths_file) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  assert(#paths > 0, "no paths")
  local body_file = os.getenv("BENCH_BODY_FILE")
  if body_file and body_file ~= "" then
    body = read_all(body_file)
    wrk.headers["Content-Type"] = "application/json"
  end
  math.randomseed(os.time() * 1000 + (thread_no or 0))
  for _ = 1, 10 do math.random() end
end

function request()
  return wrk.format(method, paths[math.random(#paths)], nil, body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local function ms(p) return latency:percentile(p) / 1000 end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"seconds":%.3f,"rps":%.1f,"mean_ms":%.2f,"p50_ms":%.2f,'
      .. '"p90_ms":%.2f,"p95_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, seconds, summary.requests / seconds, latency.mean / 1000,
    ms(50), ms(90), ms(95), ms(99), latency.max / 1000, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout))
end
