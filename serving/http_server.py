"""How uvicorn serves the API: whose proxy headers are believed, and how long a client may take to send headers.

Every door that serves the API (`jarida serve`, `jarida ui --api-port`) builds its uvicorn config here.
"""

from __future__ import annotations

import asyncio

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from jarida.settings import Settings


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol, closing a connection that has not sent a whole request head within `header_timeout`.

    uvicorn's own `timeout_keep_alive` only runs between requests, and any byte received stops it: a client that
    sends half a request line would hold its connection (and a file descriptor) for ever.
    """

    header_timeout: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE and self._head_timer is not None:  # the request head is in
            self._head_timer.cancel()
            self._head_timer = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection gets the same time

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def uvicorn_config(app: object, settings: Settings, host: str, port: int, **options: object) -> uvicorn.Config:
    """The uvicorn config of an API door: proxy headers from `trusted_proxies` only, the header-read timeout."""
    protocol = type("JaridaH11", (HeaderTimeoutH11,), {"header_timeout": float(settings.header_timeout)})
    trusted = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    return uvicorn.Config(
        app, host=host, port=port, http=protocol,
        proxy_headers=bool(trusted),  # uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1
        forwarded_allow_ips=trusted or None,
        **options,
    )  # fmt: skip
