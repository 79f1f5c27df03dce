-- wrk script for the foundation benchmark.
--
-- Environment:
--   BENCH_TOKEN_FILE  file holding the bearer token (never on the command line)
--   BENCH_IDS_FILE    when set: one entry id per line; each request GETs BENCH_PATH .. <random id>
--   BENCH_PATH        path (prefix when BENCH_IDS_FILE is set), e.g. /api/v1/services/
--
-- done() prints one line `BENCH_JSON {...}` with requests/s and latency percentiles (ms).

local ids = nil
local path = os.getenv("BENCH_PATH") or "/api/v1/services"
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
  table.insert(threads, thread)
end

local function read_first_line(name)
  local f = assert(io.open(name, "r"), "cannot open " .. name)
  local line = f:read("*l")
  f:close()
  return line
end

function init(args)
  local token = read_first_line(assert(os.getenv("BENCH_TOKEN_FILE"), "BENCH_TOKEN_FILE unset"))
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Accept"] = "application/json"
  local ids_file = os.getenv("BENCH_IDS_FILE")
  if ids_file and ids_file ~= "" then
    ids = {}
    for line in io.lines(ids_file) do
      if #line > 0 then ids[#ids + 1] = line end
    end
    assert(#ids > 0, "no ids in " .. ids_file)
  end
  math.randomseed(os.time() * 1000 + (thread_no or 0))
  for _ = 1, 10 do math.random() end
end

function request()
  if ids then
    return wrk.format("GET", path .. ids[math.random(#ids)])
  end
  return wrk.format("GET", path)
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
