"""HTTP load benchmark (not a test): a real `jarida serve` on loopback, N concurrent clients on `/v1/search`,
then M on `/v1/query`, each phase for a fixed time. Reports throughput, p50/p95 latency, errors and the
server's peak memory (VmHWM of the server and of its llama.cpp child).

    python -m jarida.eval.bench_api --data-dir DIR [--seconds 30] [--search-clients 20] [--query-clients 4] [--no-llm]

A phase with 0 clients is skipped; `--no-llm` serves without the LLM (a search-only load test needs none). The
exit status is 1 when any request failed.

Questions come from `<eval_dir>/dev.jsonl` when present (else a few built-in ones). A key with a very high
rate limit is created for the run and revoked at the end, so the requests go through the real key check.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from jarida.serving.api_keys import KeyStore
from jarida.settings import load_settings

BUILT_IN = [
    "Quelles sont les conditions du consentement de la personne concernée ?",
    "Quels sont les droits de la personne concernée sur ses données ?",
    "ما هي حقوق الشخص المعني بمعالجة معطياته الشخصية؟",
    "Quelles sanctions pour un traitement de données sans déclaration ?",
    "Quelle est la durée du congé de maternité ?",
]


@dataclass
class Phase:
    """What the clients of one phase measured."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    answers: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self, clients: int) -> dict:
        ordered = sorted(self.latencies)
        pct = (lambda q: round(1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)) if ordered \
            else (lambda q: None)  # fmt: skip
        return {
            "clients": clients, "requests": len(ordered), "seconds": round(self.seconds, 1),
            "req_per_s": round(len(ordered) / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": round(1000 * statistics.median(ordered), 1) if ordered else None, "p95_ms": pct(0.95),
            "max_ms": pct(1.0), "errors": len(self.errors), "http": dict(self.statuses),
            "answer_status": dict(self.answers), "first_errors": self.errors[:3],
        }  # fmt: skip


def questions_from(eval_dir: Path) -> list[str]:
    """The dev set's questions, else the built-in ones."""
    dev = eval_dir / "dev.jsonl"
    if dev.is_file():
        found = [json.loads(line)["question"] for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
        if found:
            return found
    return BUILT_IN


def drive(url: str, key: str, path: str, body_of, questions: list[str], clients: int, seconds: float) -> Phase:
    """`clients` threads posting to `path` until `seconds` have passed (requests in flight then are finished)."""
    phase = Phase()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=600) as http:
            i = offset
            while time.monotonic() < deadline:
                question = questions[i % len(questions)]
                i += clients
                started = time.perf_counter()
                try:
                    response = http.post(path, json=body_of(question))
                    ok, detail = response.status_code == 200, f"HTTP {response.status_code}: {response.text[:200]}"
                    status = response.json().get("status") if ok and path == "/v1/query" else None
                except (httpx.HTTPError, ValueError) as exc:
                    ok, detail, status, response = False, f"{type(exc).__name__}: {exc}", None, None
                elapsed = time.perf_counter() - started
                with phase.lock:
                    phase.statuses[response.status_code if response is not None else "exception"] += 1
                    if ok:
                        phase.latencies.append(elapsed)
                        if status:
                            phase.answers[status] += 1
                    else:
                        phase.errors.append(detail)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.seconds = time.monotonic() - started
    return phase


def peak_rss_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak resident memory, KiB) of `pid` and of each of its child processes still alive."""
    out: dict[str, int] = {}
    pids = [pid]
    for entry in Path("/proc").iterdir():  # children of any of its threads (the LLM starts from a worker thread)
        try:
            if entry.name.isdigit() and f"\nPPid:\t{pid}\n" in (entry / "status").read_text():
                pids.append(int(entry.name))
        except OSError:
            continue
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
            cmdline = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
        out["llama.cpp" if "llama_cpp" in cmdline else ("server" if p == pid else f"child {p}")] = hwm
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, port: int, log: Path, llm: bool = True) -> subprocess.Popen:
    """`jarida serve` on 127.0.0.1:`port` (without the LLM unless `llm`); returns once it answers `/healthz`."""
    command = [sys.executable, "-m", "jarida.cli", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    env = {**os.environ, **({} if llm else {"JARIDA_LLM_ENABLED": "false"})}
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jarida serve exited ({process.returncode}): {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("jarida serve did not start within 600 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jarida.eval.bench_api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--seconds", type=float, default=30.0, help="per phase")
    parser.add_argument("--search-clients", type=int, default=20)
    parser.add_argument("--query-clients", type=int, default=4)
    parser.add_argument("--k", type=int, default=5, help="articles per search / per answer")
    parser.add_argument("--no-llm", action="store_true", help="serve without the LLM (search-only load)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    settings = load_settings(data_dir=args.data_dir)
    questions = questions_from(settings.eval_dir)
    keys = KeyStore(settings.data_dir)
    name = f"bench-{int(time.time())}"
    key = keys.create(name, per_minute=10_000_000)
    port = _free_port()
    log = settings.data_dir / "bench-api-server.log"
    process = start_server(settings.data_dir, port, log, llm=not args.no_llm)
    url = f"http://127.0.0.1:{port}"
    report: dict = {"questions": len(questions), "data_dir": str(settings.data_dir)}
    try:
        ready = httpx.get(f"{url}/readyz", timeout=30)
        report["readyz"] = ready.status_code
        body = lambda q: {"question": q, "k": args.k}  # noqa: E731
        for phase, path, clients in (("search", "/v1/search", args.search_clients),
                                     ("query", "/v1/query", args.query_clients)):  # fmt: skip
            if clients:
                report[phase] = drive(url, key, path, body, questions, clients, args.seconds).summary(clients)
        report["peak_rss_mib"] = {k: round(v / 1024, 1) for k, v in peak_rss_kib(process.pid).items()}
        report["peak_rss_mib"]["total"] = round(sum(report["peak_rss_mib"].values()), 1)
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        keys.revoke(name)
        keys.close()
    phases = [phase for phase in ("search", "query") if phase in report]
    failed = 1 if any(report[phase]["errors"] for phase in phases) else 0
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return failed
    print(f"jarida serve on {settings.data_dir} ({len(questions)} questions), readyz {report['readyz']}")
    print(f"{'phase':8} {'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} errors")
    for phase in phases:
        r = report[phase]
        print(f"{phase:8} {r['clients']:7} {r['requests']:8} {r['req_per_s']:7} {r['p50_ms'] or '-':>8} "
              f"{r['p95_ms'] or '-':>8} {r['max_ms'] or '-':>8} {r['errors']}")  # fmt: skip
    if "query" in report:
        print(f"answer statuses: {report['query']['answer_status']}")
    for phase in phases:
        for error in report[phase]["first_errors"]:
            print(f"{phase} error: {error}")
    print("peak RSS (VmHWM): " + ", ".join(f"{k} {v} MiB" for k, v in report["peak_rss_mib"].items()))
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
