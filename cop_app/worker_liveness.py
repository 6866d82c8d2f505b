"""A tab whose worker died keeps its token (and so its state) when it reconnects.

With Redis, Reflex 0.10.1 records which worker holds each tab's socket (RedisTokenManager,
`token_manager_socket_record_<token>`, kept for `redis_token_expiration`, an hour). A worker
killed with SIGKILL never deletes its records, so when its tabs reconnect through another
worker Reflex takes each for a duplicated tab and hands it a NEW token: the tab's state in
Redis is orphaned and the page starts over. Upstream: reflex-dev/reflex#6345 (state lost on
reconnect; its second case is a backend crash) and #6252 (rework `new_token`), both open.

Each worker keeps a heartbeat key (`cop_worker_alive_<instance_id>`, holding host and pid,
refreshed every few seconds, expiring soon after). Before Reflex's duplicate check, a record
whose worker has no heartbeat, or runs on this host under a pid that no longer exists, is
deleted: the reconnecting tab is the same tab, and links under its own token again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import socket
from typing import Any

from reflex.utils.token_manager import RedisTokenManager

from cop_app.services import settings

logger = logging.getLogger(__name__)
ALIVE_PREFIX = "cop_worker_alive_"
HOST = socket.gethostname()
_original_link = RedisTokenManager.link_token_to_sid
_beats: dict[int, asyncio.Task[None]] = {}  # by id(token manager): one heartbeat each


def alive_key(instance_id: str) -> str:
    """The Redis key saying that this worker instance is running."""
    return f"{ALIVE_PREFIX}{instance_id}"


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_dead(heartbeat: bytes | None) -> bool:
    """Whether a heartbeat value says its worker is gone: none left, or a pid of this host
    that no longer runs (a SIGKILLed worker on the same machine is known dead at once)."""
    if not heartbeat:
        return True
    host, _, pid = heartbeat.decode(errors="replace").rpartition(":")
    return host == HOST and pid.isdigit() and not _pid_running(int(pid))


async def _beat(manager: RedisTokenManager) -> None:
    value = f"{HOST}:{os.getpid()}".encode()
    ttl = settings.WORKER_HEARTBEAT_TTL_SECONDS
    while True:
        with contextlib.suppress(Exception):  # Redis away: the next beat tries again
            await manager.redis.set(alive_key(manager.instance_id), value, ex=ttl)
        await asyncio.sleep(settings.WORKER_HEARTBEAT_SECONDS)


async def _ensure_heartbeat(manager: RedisTokenManager) -> None:
    """Start this worker's heartbeat; its first beat lands before any record it stores."""
    task = _beats.get(id(manager))
    if task is not None and not task.done():
        return
    value = f"{HOST}:{os.getpid()}".encode()
    ttl = settings.WORKER_HEARTBEAT_TTL_SECONDS
    await manager.redis.set(alive_key(manager.instance_id), value, ex=ttl)
    _beats[id(manager)] = asyncio.create_task(_beat(manager), name="cop-worker-heartbeat")


async def drop_if_orphaned(manager: RedisTokenManager, token: str) -> bool:
    """Delete the token's socket record if the worker holding it is dead; whether it did."""
    key = manager._get_redis_key(token)
    raw = await manager.redis.get(key)
    if not raw:
        return False
    record: Any = pickle.loads(raw)
    if record.instance_id == manager.instance_id:
        return False
    if not is_dead(await manager.redis.get(alive_key(record.instance_id))):
        return False
    await manager.redis.delete(key)
    manager.token_to_socket.pop(token, None)
    return True


async def link_token_to_sid(self: RedisTokenManager, token: str, sid: str) -> str | None:
    """Reflex's link, after dropping a record left by a dead worker (see the module doc)."""
    try:
        await _ensure_heartbeat(self)
        if await drop_if_orphaned(self, token):
            logger.info("Tab %s reconnected after its worker died; it keeps its state", token)
    except Exception:  # never worse than Reflex alone: its own check follows
        logger.exception("Could not check the worker of token %s", token)
    return await _original_link(self, token, sid)


def apply() -> None:
    """Install the patch (idempotent)."""
    RedisTokenManager.link_token_to_sid = link_token_to_sid  # type: ignore[method-assign]
