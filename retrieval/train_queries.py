"""`jarida train queries`: a query-side LoRA adapter trained against the index's own, frozen, passage vectors.

The passage encoder (`jarida train encoder`) embeds the corpus once; this adapter changes only how questions are
embedded, so it needs no re-indexing and trains in minutes on 2 cores: each step embeds a batch of training
questions (`darija.expand`ed, as search embeds them) and scores them against **every** indexed chunk — a full
softmax over the corpus instead of in-batch negatives —, with every chunk of the gold articles, both editions, as
positives (multi-positive cross-entropy, InfoNCE). Data: the training side of `split_by_article`; the validation
side's dense recall@10 / MRR@10 before and after are printed and written to the model card.
"""

from __future__ import annotations

import random
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress

from jarida.settings import Settings

from .cards import write_card
from .darija import expand
from .embeddings import QUERY_PREFIX, Embedder, adapter_id, encoder_adapter
from .indexer import build_chunks, stored_articles
from .questions import Question, load_questions, split_by_article

QUERY_ADAPTER_DIR = Path(__file__).parent / "trained" / "query_encoder"


@dataclass(frozen=True)
class QueryRecipe:
    """Hyper-parameters of the query adapter (the model card records them)."""

    seed: int = 0
    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 1e-3
    warmup_ratio: float = 0.1
    scale: float = 50.0  # inverse temperature of the softmax over the corpus
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    threads: int = 0  # torch threads (0: every core)


@dataclass
class Corpus:
    """The indexed chunks as the trainer sees them: passage vectors and the article each chunk belongs to."""

    vectors: np.ndarray  # [chunks, 384], L2-normalised, exactly as indexed
    article_of: np.ndarray  # [chunks] → article number (both editions of an article share it)
    articles: dict[tuple[str, str], int]  # (law_id, article) → article number


def indexed_corpus(embedder: Embedder, settings: Settings) -> Corpus:
    """Every chunk `jarida index` embeds, its vector from the embedding cache (SystemExit when not indexed)."""
    chunks = build_chunks(stored_articles(settings), embedder)
    vectors, missing = embedder.cached_passages([c.embed_text for c in chunks])
    if not chunks or missing:
        raise SystemExit(
            f"{len(missing)} of {len(chunks)} chunks have no vector in {settings.data_dir}: run `jarida index` first"
        )
    articles: dict[tuple[str, str], int] = {}
    article_of = np.array([articles.setdefault((c.article.law_id, c.article.article), len(articles)) for c in chunks])
    return Corpus(vectors, article_of, articles)


def dense_scores(queries: np.ndarray, corpus: Corpus, questions: list[Question], k: int = 10) -> dict[str, float]:
    """Dense-only recall@k and MRR@k (article level, best chunk per article, exact search), overall and by
    language."""
    import torch

    sims = torch.from_numpy(queries) @ torch.from_numpy(corpus.vectors).T
    per_article = torch.full((len(questions), len(corpus.articles)), -2.0)
    index = torch.from_numpy(corpus.article_of).expand(len(questions), -1)
    per_article.scatter_reduce_(1, index, sims, reduce="amax")
    top = per_article.topk(k, dim=1).indices.numpy()
    rows: dict[str, list[tuple[float, float]]] = {}
    for q, ranked in zip(questions, top, strict=True):
        gold = {corpus.articles[g] for g in q.gold if g in corpus.articles}
        first = next((i for i, a in enumerate(ranked) if a in gold), None)
        rows.setdefault(q.lang, []).append((float(first is not None), 0.0 if first is None else 1 / (first + 1)))
    every = [r for lang in rows.values() for r in lang]
    out = {f"recall@{k}": float(np.mean([r for r, _ in every])), f"mrr@{k}": float(np.mean([m for _, m in every]))}
    return {key: round(v, 3) for key, v in out.items()} | {
        f"recall@{k} {lang}": round(float(np.mean([r for r, _ in v])), 3) for lang, v in sorted(rows.items())
    }


def train_queries(settings: Settings, questions_path: Path, out: Path, recipe: QueryRecipe, console: Console) -> dict:
    """Train the query adapter against the index's passage vectors; save it and its model card in `out`."""
    import torch
    from peft import LoraConfig, get_peft_model

    started = time.perf_counter()
    torch.manual_seed(recipe.seed)
    if recipe.threads:
        torch.set_num_threads(recipe.threads)
    passage_adapter = encoder_adapter(settings)
    embedder = Embedder.from_settings(settings, queries=False)
    try:
        corpus = indexed_corpus(embedder, settings)
    finally:
        embedder.close()
    train, val = split_by_article(load_questions(questions_path))
    train = [q for q in train if any(g in corpus.articles for g in q.gold)]
    val = [q for q in val if q.answerable]
    model = embedder.model  # the passage model (encoder adapter merged): the query adapter starts from it
    encoder = model[0]

    def embed(batch: list[str]) -> torch.Tensor:
        return model(encoder.preprocess(batch))["sentence_embedding"]

    def validation() -> dict[str, float]:
        model.eval()
        with torch.no_grad():
            vectors = [
                embed([QUERY_PREFIX + expand(q.text) for q in val[i : i + 64]]).numpy() for i in range(0, len(val), 64)
            ]
        model.train()
        return dense_scores(np.concatenate(vectors), corpus, val)

    before = validation()
    console.print(f"{len(train)} training questions, {len(corpus.article_of)} chunks; validation before: {before}")
    for module in encoder.model.modules():  # no dropout but LoRA's (the base model's is for pre-training)
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    encoder.model = get_peft_model(
        encoder.model,
        LoraConfig(r=recipe.lora_r, lora_alpha=recipe.lora_alpha, lora_dropout=recipe.lora_dropout,
                   target_modules=["query", "key", "value", "dense"]),
    )  # fmt: skip
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=recipe.learning_rate, weight_decay=0.01)
    batches = (len(train) + recipe.batch_size - 1) // recipe.batch_size
    steps = recipe.epochs * batches
    warmup = max(1, int(recipe.warmup_ratio * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    passages = torch.from_numpy(corpus.vectors)
    positives = torch.zeros(len(train), len(corpus.article_of), dtype=torch.bool)
    for i, q in enumerate(train):
        for g in q.gold:
            if g in corpus.articles:
                positives[i] |= torch.from_numpy(corpus.article_of == corpus.articles[g])
    texts = [QUERY_PREFIX + expand(q.text) for q in train]
    losses, curve = [], []
    t0 = time.perf_counter()
    model.train()
    rng = random.Random(recipe.seed)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("training the query adapter", total=steps)
        for epoch in range(recipe.epochs):
            order = list(range(len(train)))
            rng.shuffle(order)
            total = 0.0
            for b in range(0, len(order), recipe.batch_size):
                rows = order[b : b + recipe.batch_size]
                logits = recipe.scale * embed([texts[i] for i in rows]) @ passages.T
                gold = logits.masked_fill(~positives[rows], float("-inf"))
                loss = (torch.logsumexp(logits, 1) - torch.logsumexp(gold, 1)).mean()
                loss.backward()
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                total += loss.item()
                progress.advance(task)
            losses.append(round(total / batches, 4))
            curve.append(validation())
            console.print(f"epoch {epoch + 1}/{recipe.epochs}: loss {losses[-1]}, validation {curve[-1]}")
    trained = time.perf_counter() - t0
    model.eval()
    after = curve[-1]
    out.mkdir(parents=True, exist_ok=True)
    encoder.model.save_pretrained(str(out))  # the adapter only (adapter_model.safetensors + adapter_config.json)
    card = {
        "what": "query-side LoRA adapter on the jarida e5 encoder: questions only, against frozen passage vectors",
        "passage_encoder": adapter_id(passage_adapter) if passage_adapter is not None else "base",
        "data": questions_path.name,
        "split": {"rule": "by gold article group", "validation_share": 0.2, "training_questions": len(train),
                  "validation_questions": len(val), "chunks": len(corpus.article_of)},
        "recipe": asdict(recipe),
        "loss": "cross-entropy over every indexed chunk, the gold articles' chunks (both editions) as positives",
        "validation_dense_before": before,
        "validation_dense_after": after,
        "epoch_losses": losses,
        "validation_dense_by_epoch": curve,
        "seconds": {"total": round(time.perf_counter() - started, 1), "training": round(trained, 1)},
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cpu_threads": torch.get_num_threads(),
    }  # fmt: skip
    write_card(out, "jarida query adapter (LoRA on the question side of the e5 encoder)", card, "jarida train queries")
    return card
