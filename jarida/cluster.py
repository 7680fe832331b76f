"""Connect to a Ray cluster for `jarida ingest --cluster` and `jarida index --cluster` (Ray is an optional extra).

Ray is imported here and only here when a command asks for a cluster, so jarida works without it installed.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

INSTALL_HINT = 'install the cluster extra: pip install -e ".[cluster]"'


def cluster_address(address: str | None) -> str:
    """The address to join: the one given, else RAY_ADDRESS, else "auto" (a cluster started on this machine)."""
    return address or os.environ.get("RAY_ADDRESS") or "auto"


def connect(address: str | None) -> ModuleType:
    """Join the Ray cluster at `address` (see `cluster_address`) as a driver; returns the `ray` module.

    A RuntimeError says what to do when Ray is missing or the cluster cannot be reached."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves the machine
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError(f"--cluster needs Ray: {INSTALL_HINT}") from exc
    if ray.is_initialized():
        return ray
    where = cluster_address(address)
    _reachable(where)
    try:
        ray.init(address=where, log_to_driver=False, logging_level="ERROR", configure_logging=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise RuntimeError(
            f"cannot join the Ray cluster at {where} ({exc}); start one with `ray start --head` (README, Scaling)"
        ) from exc
    return ray


def _reachable(address: str, timeout: float = 10.0) -> None:
    """Fail fast on a HOST:PORT nobody listens on (`ray.init` would retry for minutes)."""
    host, _, port = address.rpartition(":")
    if "://" in address or not port.isdigit():
        return  # "auto", "local", ray://…: Ray finds or checks it
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise RuntimeError(f"no Ray cluster answers at {address} ({exc}): start one with `ray start --head`") from exc


def cluster_cpus(ray: ModuleType) -> int:
    """CPUs the cluster offers right now (every node's)."""
    return int(ray.cluster_resources().get("CPU", 0))


@contextmanager
def joined(address: str | None) -> Iterator[ModuleType]:
    """`connect`, then leave the cluster (the cluster itself keeps running)."""
    ray = connect(address)
    try:
        yield ray
    finally:
        ray.shutdown()
