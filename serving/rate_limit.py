"""Token-bucket rate limits, one bucket per client (API key or IP address), in a bounded in-memory cache."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from cachetools import TTLCache

MAX_BUCKETS = 10_000  # beyond this, the least recently used bucket is forgotten
IDLE_SECONDS = 60.0  # a bucket unused this long is full again: forgetting it changes nothing


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Each client may burst up to `per_minute` requests, refilled at `per_minute` per minute.

    Buckets live in a TTL cache (`cachetools.TTLCache`): idle ones expire, and at most `max_buckets` are kept,
    so a flood of new client names costs constant memory and time per request.
    """

    def __init__(self, max_buckets: int = MAX_BUCKETS) -> None:
        self._buckets: TTLCache[str, _Bucket] = TTLCache(maxsize=max_buckets, ttl=IDLE_SECONDS, timer=time.monotonic)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)

    def take(self, client: str, per_minute: int) -> float:
        """Spend one token of `client`'s bucket: 0.0 when allowed, else the seconds to wait before retrying."""
        capacity, rate = float(per_minute), per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(client) or _Bucket(capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            self._buckets[client] = bucket  # (re)set: its idle time starts again
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / rate


def retry_after_header(seconds: float) -> str:
    """Whole seconds for a `Retry-After` header (at least 1)."""
    return str(max(1, math.ceil(seconds)))
