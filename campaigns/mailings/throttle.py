"""Rates shared by every worker on every machine: token buckets and the global 429 backoff in Redis.

Without Redis (jobs in-process) there is one sender, so the buckets are kept in this process.
"""
from __future__ import annotations

import time

BUCKET = """
local now = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local grant = want
local state = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[1 + 2 * i]) / 60000.0
  local cap = tonumber(ARGV[2 + 2 * i])
  local v = redis.call('HMGET', key, 't', 'ts')
  local tokens = tonumber(v[1]) or cap
  local ts = tonumber(v[2]) or now
  tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
  state[i] = {tokens, rate}
  grant = math.min(grant, math.floor(tokens))
end
local wait = 0
for i, key in ipairs(KEYS) do
  local tokens = state[i][1] - grant
  redis.call('HSET', key, 't', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', key, 3600000)
  if grant == 0 then wait = math.max(wait, math.ceil((1 - tokens) / state[i][2])) end
end
return {grant, wait}
"""
BACKOFF_KEY = "mailings:backoff_until"
_local: dict = {}


class Throttle:
    def __init__(self, redis=None):
        self.redis = redis
        self._script = redis.register_script(BUCKET) if redis is not None else None

    def take(self, want: int, rates: dict[str, int]) -> tuple[int, float]:
        """Up to `want` tokens from every bucket named in `rates` (name -> messages per minute).

        Returns (granted, seconds to wait before asking again when nothing was granted).
        """
        rates = {name: rate for name, rate in rates.items() if rate}
        if not rates or want <= 0:
            return want, 0.0
        now = int(time.time() * 1000)
        args: list = [now, want]
        for rate in rates.values():
            args += [rate, max(1, rate // 30)]  # a burst of two seconds' worth
        if self._script is not None:
            granted, wait = self._script(keys=[f"mailings:bucket:{n}" for n in rates], args=args)
            return int(granted), int(wait) / 1000
        return self._take_locally(now, want, rates)

    def _take_locally(self, now: int, want: int, rates: dict[str, int]) -> tuple[int, float]:
        grant, state = want, {}
        for name, rate in rates.items():
            tokens, ts = _local.get(name, (max(1, rate // 30), now))
            tokens = min(max(1, rate // 30), tokens + (now - ts) * rate / 60000)
            state[name] = tokens
            grant = min(grant, int(tokens))
        wait = 0.0
        for name, rate in rates.items():
            _local[name] = (state[name] - grant, now)
            if grant == 0:
                wait = max(wait, (1 - state[name] + grant) / (rate / 60000) / 1000)
        return grant, wait

    def back_off(self, seconds: float) -> None:
        """Every worker waits until the provider's rate-limit window resets."""
        until = time.time() + seconds
        if self.redis is not None:
            current = float(self.redis.get(BACKOFF_KEY) or 0)
            if until > current:
                self.redis.set(BACKOFF_KEY, repr(until), px=int(seconds * 1000) + 1000)
        else:
            _local["backoff"] = max(until, _local.get("backoff", 0))

    def backoff_left(self) -> float:
        until = float(self.redis.get(BACKOFF_KEY) or 0) if self.redis is not None else _local.get("backoff", 0)
        return max(0.0, until - time.time())
