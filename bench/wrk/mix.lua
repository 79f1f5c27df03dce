-- wrk script for the memory benchmark: a mix of requests from one file, two tenants' tokens.
--
-- Environment:
--   BENCH_MIX_FILE  one request per line, tab-separated: METHOD, token name, path and, for a
--                   POST, a body name; each request takes a random line (weights by repetition)
--   BENCH_TOKENS    name=file,name=file: the bearer tokens (never on the command line)
--   BENCH_BODIES    name=file,...: the JSON bodies of the POSTs
--
-- done() prints one line `BENCH_JSON {...}` in the shape of tickets.lua.

local lines = {}
local tokens = {}
local bodies = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
end

local function read_all(name)
  local f = assert(io.open(name, "r"), "cannot open " .. name)
  local text = f:read("*a")
  f:close()
  return text
end

local function named_files(spec, trim)
  local found = {}
  for name, file in string.gmatch(spec or "", "([^=,]+)=([^,]+)") do
    local text = read_all(file)
    found[name] = trim and text:gsub("%s+$", "") or text
  end
  return found
end

function init(args)
  tokens = named_files(os.getenv("BENCH_TOKENS"), true)
  bodies = named_files(os.getenv("BENCH_BODIES"), false)
  local mix_file = assert(os.getenv("BENCH_MIX_FILE"), "BENCH_MIX_FILE unset")
  for line in io.lines(mix_file) do
    local method, token, path, body = line:match("^(%u+)\t([^\t]+)\t([^\t]+)\t?([^\t]*)$")
    if method then
      local headers = {
        ["Authorization"] = "Bearer " .. assert(tokens[token], "no token " .. token),
        ["Accept"] = "application/json",
      }
      local payload = nil
      if body ~= "" then
        payload = assert(bodies[body], "no body " .. body)
        headers["Content-Type"] = "application/json"
      end
      lines[#lines + 1] = wrk.format(method, path, headers, payload)
    end
  end
  assert(#lines > 0, "no requests")
  math.randomseed(os.time() * 1000 + (thread_no or 0))
  for _ = 1, 10 do math.random() end
end

function request()
  return lines[math.random(#lines)]
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
