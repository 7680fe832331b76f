"""Connect to a Ray cluster for `jarida ingest --cluster` and `jarida index --cluster` (Ray is an optional extra).

Ray is imported here and only here when a command asks for a cluster, so jarida works without it installed.
`local_head` starts a one-machine cluster on 127.0.0.1 for tests and benchmarks.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

INSTALL_HINT = 'install the cluster extra: pip install -e ".[cluster]"'
# Ray keeps 127.0.0.1 as the node address (instead of the machine's own) only with the first, read when `ray` is
# imported; the second keeps Ray's usage report from leaving the machine.
LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


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


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _start_head(cpus: int, log: Path, timeout: float) -> tuple[subprocess.Popen, str]:
    port, client, dashboard, agent, env_agent, metrics = _free_ports(6)
    command = [str(Path(sys.executable).parent / "ray"), "start", "--head", "--block", "--node-ip-address=127.0.0.1",
               f"--num-cpus={cpus}", f"--port={port}", f"--ray-client-server-port={client}",
               "--include-dashboard=false", f"--dashboard-port={dashboard}", f"--dashboard-agent-listen-port={agent}",
               f"--runtime-env-agent-port={env_agent}", f"--metrics-export-port={metrics}",
               "--object-store-memory=100000000", "--disable-usage-stats"]  # fmt: skip
    with log.open("w") as out:
        head = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while "Ray runtime started" not in log.read_text() and head.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if head.poll() is not None or "Ray runtime started" not in log.read_text():
        _stop(head)
        raise RuntimeError(f"ray start --head failed; the end of its log:\n{log.read_text()[-3000:]}")
    return head, f"127.0.0.1:{port}"


def _stop(head: subprocess.Popen) -> None:
    """SIGTERM to `ray start --block`, which stops its processes and their workers; SIGKILL to its group after 60 s."""
    head.send_signal(signal.SIGTERM)
    try:
        head.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(head.pid, signal.SIGKILL)  # its own process group (start_new_session)
        head.wait()


@contextmanager
def local_head(cpus: int, log: Path, timeout: float = 180, attempts: int = 3) -> Iterator[str]:
    """A Ray head on 127.0.0.1 with `cpus` CPUs — free ports, no dashboard, a 100 MB object store — for tests and
    benchmarks: yields its address, then stops it and its workers. A start that fails (a port taken meanwhile, a
    machine too busy to start within `timeout`) is tried again, `attempts` times in all.

    Sets `LOOPBACK_ENV` in this process too: a driver here must import `ray` after it to join this head."""
    os.environ.update(LOOPBACK_ENV)
    for attempt in range(attempts):
        try:
            head, address = _start_head(cpus, log, timeout)
            break
        except RuntimeError:
            if attempt == attempts - 1:
                raise
    try:
        yield address
    finally:
        _stop(head)
