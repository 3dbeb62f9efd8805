// The route limits as Lua scripts, one atomic call per admit, end and read,
// with the time from Redis's TIME so the replicas' clocks never matter. The
// rules are those of route-limit-rules.ts (the in-memory limits use them; one
// contract test runs both). Keys, all of one route (redis-route-limits.ts):
//   KEYS[1] state       hash: pauses, paused-at, connection-limit, capped-at,
//                       oks, limit-changed-at, recipient-sum, next:<reason>
//   KEYS[2] pause       present while the route is paused (PX = the pause)
//   KEYS[3] messages    ended attempts in the SMART_HOST_RATE window (score = end)
//   KEYS[4] recipients  the same for SMART_HOST_RECIPIENT_RATE; their recipient
//                       counts add up in state.recipient-sum
//   KEYS[5] leases      attempts in flight (score = when the lease expires)
// Members are `<recipients>:<job id>:<token>` (leaseMember()).
// ARGV[1..6] for every script: rate count, rate window ms, recipient count,
// recipient window ms (0 = no limit), raiseAfterMs, how long idle keys live.

const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state, pause, messages, recipients, leases = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local rateCount, ratePer = tonumber(ARGV[1]), tonumber(ARGV[2])
local recCount, recPer = tonumber(ARGV[3]), tonumber(ARGV[4])
local raiseAfterMs, idleMs = tonumber(ARGV[5]), tonumber(ARGV[6])

local function num(field) return tonumber(redis.call('HGET', state, field)) end
local function weight(member) return tonumber(string.match(member, '^(%d+):')) or 1 end
local function touch()
  for _, key in ipairs({state, messages, recipients, leases}) do redis.call('PEXPIRE', key, idleMs) end
end
local function setLimit(limit)
  if limit then
    redis.call('HSET', state, 'connection-limit', limit, 'oks', 0, 'limit-changed-at', now)
  else
    redis.call('HDEL', state, 'connection-limit', 'capped-at', 'oks', 'limit-changed-at')
  end
  return limit
end
-- raisedConnectionLimit()
local function raise(limit)
  if limit + 1 >= (num('capped-at') or 0) then return setLimit(nil) end
  return setLimit(limit + 1)
end

-- A lease not ended in time counts as ended when it expired: its replica crashed.
local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'WITHSCORES')
for i = 1, #expired, 2 do
  local member, at = expired[i], tonumber(expired[i + 1])
  redis.call('ZREM', leases, member)
  if ratePer > 0 then redis.call('ZADD', messages, at, member) end
  if recPer > 0 then
    redis.call('ZADD', recipients, at, member)
    redis.call('HINCRBY', state, 'recipient-sum', weight(member))
  end
end
-- An entry counts while now < its time + the window.
if ratePer > 0 then
  redis.call('ZREMRANGEBYSCORE', messages, '-inf', now - ratePer)
else
  redis.call('DEL', messages)
end
if recPer > 0 then
  local old = redis.call('ZRANGEBYSCORE', recipients, '-inf', now - recPer)
  if #old > 0 then
    local gone = 0
    for _, member in ipairs(old) do gone = gone + weight(member) end
    redis.call('ZREMRANGEBYSCORE', recipients, '-inf', now - recPer)
    redis.call('HINCRBY', state, 'recipient-sum', -gone)
  end
  if redis.call('ZCARD', recipients) == 0 then redis.call('HDEL', state, 'recipient-sum') end
else
  redis.call('DEL', recipients)
  redis.call('HDEL', state, 'recipient-sum')
end
local connLimit = num('connection-limit')
if connLimit and now - (num('limit-changed-at') or 0) >= raiseAfterMs then
  connLimit = raise(connLimit)
end
local function leased()
  local sum = 0
  for _, member in ipairs(redis.call('ZRANGE', leases, 0, -1)) do sum = sum + weight(member) end
  return sum
end
`;

// ARGV[7] member, [8] recipients, [9] leaseMaxMs, [10] connectionWaitMs,
// [11] connectionWaitStepMs. Returns {'go', now} or {'wait', ms, reason}.
export const ADMIT = `${PRELUDE}
local member, count, leaseMaxMs = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local connectionWaitMs, connectionStepMs = tonumber(ARGV[10]), tonumber(ARGV[11])
-- Waiting jobs take turns: each reserves the next free one of its reason.
local function wait(reason, earliest, step)
  local field = 'next:' .. reason
  local at = math.max(earliest, num(field) or 0)
  redis.call('HSET', state, field, at + step)
  touch()
  return {'wait', math.max(1, math.ceil(at - now)), reason}
end

local pausedMs = redis.call('PTTL', pause)
if pausedMs > 0 then
  return wait('paused', now + pausedMs, ratePer > 0 and ratePer / rateCount or connectionStepMs)
end
local inFlight = redis.call('ZCARD', leases)
if connLimit and inFlight >= connLimit then
  return wait('connections', now + connectionWaitMs, connectionStepMs)
end
if ratePer > 0 then
  local ended = redis.call('ZCARD', messages)
  local over = ended + inFlight - rateCount + 1
  if over > 0 then
    local freeAt = now + ratePer
    if over <= ended then
      freeAt = tonumber(redis.call('ZRANGE', messages, over - 1, over - 1, 'WITHSCORES')[2]) + ratePer
    end
    return wait('rate', freeAt, ratePer / rateCount)
  end
end
if recPer > 0 then
  local need = math.min(math.max(1, count), recCount)
  local logged = num('recipient-sum') or 0
  local over = logged + leased() + need - recCount
  if over > 0 then
    local freeAt = now + recPer
    if over <= logged then
      local freed, start, found = 0, 0, false
      while not found do
        local batch = redis.call('ZRANGE', recipients, start, start + 99, 'WITHSCORES')
        if #batch == 0 then break end
        for i = 1, #batch, 2 do
          freed = freed + weight(batch[i])
          if freed >= over then
            freeAt = tonumber(batch[i + 1]) + recPer
            found = true
            break
          end
        end
        start = start + 100
      end
    end
    return wait('recipient-rate', freeAt, recPer * need / recCount)
  end
end
redis.call('ZADD', leases, now + leaseMaxMs, member)
touch()
return {'go', now}`;

// ARGV[7] member, [8] outcome, [9] admitted at (from ADMIT), [10] pauseBaseMs,
// [11] pauseMaxMs, [12] raiseAfterOks.
export const END = `${PRELUDE}
local member, outcome, admittedAt = ARGV[7], ARGV[8], tonumber(ARGV[9])
local pauseBaseMs, pauseMaxMs, raiseAfterOks = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local w = weight(member)
local held = redis.call('ZREM', leases, member)
local inFlight = redis.call('ZCARD', leases) + held
if outcome == 'too-many-connections' then
  -- Refused at the greeting: the smart host counted no message.
  redis.call('ZREM', messages, member)
  if redis.call('ZREM', recipients, member) == 1 then redis.call('HINCRBY', state, 'recipient-sum', -w) end
else
  -- Counted until now, and a window more (also when it expired meanwhile: a
  -- slow replica's attempt may reach the smart host as late as this).
  if ratePer > 0 then redis.call('ZADD', messages, now, member) end
  if recPer > 0 and redis.call('ZADD', recipients, now, member) == 1 then
    redis.call('HINCRBY', state, 'recipient-sum', w)
  end
end
-- isAfterLatestPause()
local pausedAt = num('paused-at')
local afterPause = (not pausedAt) or admittedAt > pausedAt
if outcome == 'throttled' then
  local pauses = num('pauses') or 0
  if afterPause then
    pauses = pauses + 1
  elseif redis.call('PTTL', pause) > 0 then
    touch()
    return 0
  end
  pauses = math.max(1, pauses)
  -- pauseMs()
  local ms = math.min(pauseBaseMs * 2 ^ (pauses - 1), pauseMaxMs)
  redis.call('SET', pause, pauses, 'PX', math.floor(ms))
  redis.call('HSET', state, 'pauses', pauses, 'paused-at', now)
elseif outcome == 'ok' then
  if afterPause then redis.call('HDEL', state, 'pauses') end
  if connLimit and redis.call('HINCRBY', state, 'oks', 1) >= raiseAfterOks then raise(connLimit) end
elseif outcome == 'too-many-connections' then
  -- loweredConnectionLimit()
  local lowered = math.max(1, inFlight - 1)
  if connLimit then lowered = math.min(lowered, connLimit) end
  setLimit(lowered)
  redis.call('HSET', state, 'capped-at', math.max(num('capped-at') or 0, inFlight))
end
touch()
return 1`;

// Returns {pausedMs, pauses, connection limit or -1, in flight, sent, recipients, now}.
export const READ = `${PRELUDE}
local inFlight = redis.call('ZCARD', leases)
local sent, recipientCount = 0, 0
if ratePer > 0 then sent = redis.call('ZCARD', messages) + inFlight end
if recPer > 0 then recipientCount = (num('recipient-sum') or 0) + leased() end
return {math.max(0, redis.call('PTTL', pause)), num('pauses') or 0, connLimit or -1, inFlight, sent, recipientCount, now}`;
