-- wrk script for bench/tracker-bench.sh: a storm of HTTP announces (BEP 3, compact) from a population of
-- peers spread over many swarms, the same for every tracker measured.
--
-- Environment (set by the bench):
--   TB_HASHES  file with one info-hash per line (40 hex digits): the swarms
--   TB_PEERS   how many distinct peers announce (peer ids and ports), spread over the swarms round-robin
--   TB_SEEDS   percent of the peers that announce left=0
--
-- Every request is a re-announce of a random peer of the population (its first one has event=started):
-- each peer always announces to the same swarm with the same peer id and port, as a real client does.
-- Every answer is checked: HTTP 200 and a bencoded dictionary without "failure reason". Anything else
-- counts as "bad" in the summary (wrk's own summary only sees the status code, and our tracker answers a
-- refusal with 200 and a bencoded failure).

local hashes = {}
local peers, seeds
local started = {}
bad = 0 -- global: done() reads it from every thread (thread:get)
local threads = {}

local function escape(hex)
  return (hex:gsub("..", "%%%0"))
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("TB_HASHES") or error("TB_HASHES not set")
  for line in io.lines(path) do
    if line:match("^%x+$") and #line == 40 then
      table.insert(hashes, escape(line:lower()))
    end
  end
  if #hashes == 0 then error("no info-hashes in " .. path) end
  peers = tonumber(os.getenv("TB_PEERS") or "5000")
  seeds = tonumber(os.getenv("TB_SEEDS") or "20")
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local n = math.random(0, peers - 1)
  local event = ""
  if not started[n] then
    started[n] = true
    event = "&event=started"
  end
  local left = (n % 100) < seeds and 0 or 1048576
  -- 20 bytes of peer id: an Azureus-style prefix and the peer's number, all unreserved characters
  local path = string.format(
    "/announce?info_hash=%s&peer_id=-TB0001-%012d&port=%d&uploaded=0&downloaded=0&left=%d&compact=1&numwant=50%s",
    hashes[n % #hashes + 1], n, 10000 + n % 50000, left, event)
  return wrk.format("GET", path, { ["Connection"] = "close", ["Host"] = wrk.host })
end

function response(status, headers, body)
  if status ~= 200 or body:sub(1, 1) ~= "d" or body:find("failure reason", 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do
    b = b + (t:get("bad") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "TB_RESULT requests=%d duration_us=%d bad=%d connect_errors=%d read_errors=%d write_errors=%d status_errors=%d timeouts=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d mean_us=%.0f\n",
    summary.requests, summary.duration, b, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
