"""API keys for the developer endpoints: random keys shown once, stored as SHA-256 in `<data_dir>/api_keys.sqlite`.

A key is 32 random bytes (`jrd_` + URL-safe base64): high entropy, so a plain SHA-256 is enough to store it
safely (no salt or slow hash needed). Revocation is read on every request, so it takes effect at once, even
while a server runs in another process.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

KEY_PREFIX = "jrd_"
KEYS_FILE = "api_keys.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    hash TEXT PRIMARY KEY, name TEXT NOT NULL, shown TEXT NOT NULL, per_minute INTEGER NOT NULL,
    created REAL NOT NULL, revoked REAL
);
CREATE INDEX IF NOT EXISTS api_keys_by_name ON api_keys (name);
"""


class KeyStoreError(ValueError):
    """A key operation that cannot be done (name taken, unknown name); the message says why."""


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret: `shown` is the first characters, for recognising it in a list."""

    name: str
    shown: str
    per_minute: int
    created: float
    revoked: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


def hash_key(key: str) -> str:
    """Hex SHA-256 of a key, as stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    """The API keys of one data dir; safe to share between threads."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(data_dir / KEYS_FILE, timeout=30, check_same_thread=False)
        self._db.executescript(SCHEMA)

    def create(self, name: str, per_minute: int = 60) -> str:
        """Store a new key for `name` and return it: the only time it is ever shown."""
        name = name.strip()
        if not name or len(name) > 100:
            raise KeyStoreError("a key name is 1 to 100 characters")
        if per_minute < 1:
            raise KeyStoreError("--per-minute must be at least 1")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._lock, self._db:
            taken = self._db.execute("SELECT 1 FROM api_keys WHERE name = ? AND revoked IS NULL", (name,)).fetchone()
            if taken:
                raise KeyStoreError(f"an active key named {name!r} exists: revoke it first or pick another name")
            self._db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL)",
                (hash_key(key), name, key[: len(KEY_PREFIX) + 4] + "…", per_minute, time.time()),
            )
        return key

    def list(self) -> list[ApiKey]:
        """Every key, active and revoked, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT name, shown, per_minute, created, revoked FROM api_keys ORDER BY created"
            ).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, name: str) -> int:
        """Revoke the active key(s) named `name`; returns how many were revoked."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "UPDATE api_keys SET revoked = ? WHERE name = ? AND revoked IS NULL", (time.time(), name)
            )
        if cursor.rowcount == 0:
            raise KeyStoreError(f"no active key named {name!r} (see `jarida keys list`)")
        return cursor.rowcount

    def verify(self, key: str) -> ApiKey | None:
        """The active key matching `key`, else None."""
        if not key.startswith(KEY_PREFIX) or len(key) > 200:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT name, shown, per_minute, created, revoked FROM api_keys WHERE hash = ? AND revoked IS NULL",
                (hash_key(key),),
            ).fetchone()
        return ApiKey(*row) if row else None

    def close(self) -> None:
        with self._lock:
            self._db.close()
