"""Token-bucket rate limits, one bucket per client (API key or IP address), in memory."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

MAX_BUCKETS = 10_000  # beyond this, full (idle) buckets are forgotten


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Each client may burst up to `per_minute` requests, refilled at `per_minute` per minute."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, client: str, per_minute: int) -> float:
        """Spend one token of `client`'s bucket: 0.0 when allowed, else the seconds to wait before retrying."""
        capacity, rate = float(per_minute), per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= MAX_BUCKETS:
                    self._forget_idle(now)
                bucket = self._buckets[client] = _Bucket(capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / rate

    def _forget_idle(self, now: float) -> None:
        """Drop buckets idle long enough to be full again (they would behave exactly like new ones)."""
        for client in [c for c, b in self._buckets.items() if now - b.updated > 60.0]:
            del self._buckets[client]


def retry_after_header(seconds: float) -> str:
    """Whole seconds for a `Retry-After` header (at least 1)."""
    return str(max(1, math.ceil(seconds)))
