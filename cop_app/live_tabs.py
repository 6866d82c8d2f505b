"""Which open tabs hold live rooms, per member: where an access change finds them.

A tab registers (its member's id and its client token) when a handler links it to a room.
Each worker keeps a dict; with Redis (several workers) a sorted set per member, scored by
the time of the last registration, lets any worker find every worker's tabs. This replaces
a link to the member's own room, which Reflex locked and loaded on every event of the tab.

Bounded: an entry expires `LIVE_TAB_SECONDS` after its tab last registered (a page open or
a reconnect registers again), a member keeps at most `LIVE_TABS_PER_MEMBER` (the oldest
go first), and a tab an access change finds holding nothing is forgotten at once.
"""

import time

from redis.asyncio import Redis

from cop_app.services import settings

# A tab already registered this recently is not written again (one Redis round trip per
# tab per minute at most, not one per page open).
REFRESH_SECONDS = 60.0
# Local entries of every member are swept for expiry at most this often.
SWEEP_SECONDS = 60.0
KEY_PREFIX = "cop:live-tabs:"
# ZREM of the tabs (ARGV[2..]) whose score is at most ARGV[1], in one atomic step.
_FORGET_SCRIPT = """
for i = 2, #ARGV do
  local at = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if at and tonumber(at) <= tonumber(ARGV[1]) then redis.call('ZREM', KEYS[1], ARGV[i]) end
end
return 0
"""


def key(user_id: int) -> str:
    """The Redis sorted set of one member's tabs."""
    return f"{KEY_PREFIX}{user_id}"


class TabRegistry:
    """Member id -> their tabs holding rooms: a dict here, a sorted set in Redis if given."""

    def __init__(self) -> None:
        self._tabs: dict[int, dict[str, float]] = {}
        self._swept = 0.0

    async def add(
        self, redis: Redis | None, user_id: int, token: str, *, force: bool = False
    ) -> None:
        """Remember that this member's tab holds a room (refreshing a known tab's time).
        `force`: the tab held no room until now, so another worker may have forgotten it."""
        now = time.time()
        mine = self._tabs.setdefault(user_id, {})
        if not force and now - mine.get(token, -REFRESH_SECONDS) < REFRESH_SECONDS:
            return
        mine[token] = now
        if len(mine) > settings.LIVE_TABS_PER_MEMBER:
            for old in sorted(mine, key=mine.__getitem__)[: -settings.LIVE_TABS_PER_MEMBER]:
                del mine[old]
        self._sweep(now)
        if redis is not None:
            ttl = settings.LIVE_TAB_SECONDS
            async with redis.pipeline(transaction=False) as pipe:
                pipe.zadd(key(user_id), {token: now})
                pipe.zremrangebyscore(key(user_id), "-inf", now - ttl)
                pipe.zremrangebyrank(key(user_id), 0, -settings.LIVE_TABS_PER_MEMBER - 1)
                pipe.expire(key(user_id), int(ttl))
                await pipe.execute()

    async def tabs(self, redis: Redis | None, user_id: int) -> set[str]:
        """This member's tabs that may hold rooms, on any worker."""
        since = time.time() - settings.LIVE_TAB_SECONDS
        found = {t for t, at in self._tabs.get(user_id, {}).items() if at > since}
        if redis is not None:
            stored = await redis.zrangebyscore(key(user_id), since, "+inf")
            found |= {t.decode() if isinstance(t, bytes) else str(t) for t in stored}
        return found

    async def forget(
        self, redis: Redis | None, user_id: int, tokens: set[str], checked_at: float
    ) -> None:
        """Drop tabs found holding no room (closed, expired or signed out) at `checked_at`;
        a tab that registered again since then (it linked a room meanwhile) stays."""
        mine = self._tabs.get(user_id, {})
        for token in tokens:
            if mine.get(token, 0.0) <= checked_at:
                mine.pop(token, None)
        if not mine:
            self._tabs.pop(user_id, None)
        if redis is not None and tokens:
            await redis.eval(_FORGET_SCRIPT, 1, key(user_id), checked_at, *tokens)

    def size(self) -> int:
        """How many tabs this worker remembers (tests: the registry stays bounded)."""
        return sum(len(v) for v in self._tabs.values())

    def clear(self) -> None:
        """Forget this worker's entries (tests: as if another process served the tabs)."""
        self._tabs.clear()

    def _sweep(self, now: float) -> None:
        if now - self._swept < SWEEP_SECONDS:
            return
        self._swept = now
        since = now - settings.LIVE_TAB_SECONDS
        for user_id in list(self._tabs):
            mine = {t: at for t, at in self._tabs[user_id].items() if at > since}
            if mine:
                self._tabs[user_id] = mine
            else:
                del self._tabs[user_id]
