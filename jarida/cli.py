"""The `jarida` command line: one entry point for every stage."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from jarida.settings import Settings, load_settings


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(data_dir=args.data_dir)


def cmd_ingest(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from jarida.ingest.pipeline import ingest, summary_table

    settings = load_settings(data_dir=args.data_dir, ocr_workers=args.workers)
    console = Console(stderr=True)
    try:
        if args.cluster is None:
            summary = ingest(args.paths, settings, console, force=args.force)
        else:
            summary = _ingest_on_cluster(args, settings, console)
    except KeyboardInterrupt:
        console.print("interrupted: files finished so far are stored; run the same command again to resume")
        return 130
    console.print(summary_table(summary))
    for error in summary.errors:
        console.print(f"[red]error[/red] {escape(error)}")
    return 1 if summary.errors else 0


def _ingest_on_cluster(args: argparse.Namespace, settings: Settings, console):
    """`ingest` with the page work on a Ray cluster (jarida.ingest.cluster); the store stays in this process."""
    from jarida.cluster import cluster_cpus, joined
    from jarida.ingest.cluster import ClusterReader
    from jarida.ingest.pipeline import ingest

    with joined(args.cluster) as ray:
        console.print(
            f"Ray cluster: {cluster_cpus(ray)} CPUs" + (f", {args.workers} pages at a time" if args.workers else "")
        )
        reader = ClusterReader(ray, settings, args.workers)
        try:
            return ingest(args.paths, settings, console, force=args.force, reader=reader)
        finally:
            reader.close()


def cmd_export(args: argparse.Namespace) -> int:
    from jarida.records import ArticleStore

    settings = _settings(args)
    if not settings.db_path.exists():
        print(f"no article store in {settings.data_dir}: run `jarida ingest PATH` first", file=sys.stderr)
        return 1
    store = ArticleStore(settings.db_path)
    try:
        for article in store.articles(law_id=args.law, lang=args.lang):
            record = article.to_dict()
            if not args.with_index_text:
                record.pop("index_text")
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    except BrokenPipeError:
        pass
    finally:
        store.close()
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from jarida.records import ArticleStore

    store = ArticleStore(_settings(args).db_path)
    for record in store.sources():
        print(json.dumps(record.__dict__, ensure_ascii=False))
    store.close()
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from rich.console import Console

    from jarida.retrieval.indexer import index
    from jarida.retrieval.service import open_retrieval

    settings = _settings(args)
    if not settings.db_path.exists():
        print(f"no article store in {settings.data_dir}: run `jarida ingest PATH` first", file=sys.stderr)
        return 1
    console = Console(stderr=True)
    retrieval = open_retrieval(settings)
    try:
        if args.cluster is None:
            report = index(settings, retrieval.store, retrieval.embedder, console)
        else:
            report = _index_on_cluster(args, settings, retrieval, console)
    finally:
        retrieval.close()
    console.print(
        f"{report.articles} articles → {report.chunks} chunks: {report.embedded} embedded, "
        f"{report.unchanged} unchanged, {report.deleted} deleted, in {report.seconds:.1f} s"
        + (f" ({report.tokens / max(report.seconds, 1e-9):,.0f} tokens/s)" if report.tokens else "")
    )
    if report.lexicon_learned:
        console.print(f"cross-script lexicon learned from {report.parallel_articles} articles in both editions")
    return 0


def _index_on_cluster(args: argparse.Namespace, settings: Settings, retrieval, console):
    """`index` with the embedding on Ray actors (jarida.retrieval.cluster); cache and store stay in this process."""
    from jarida.cluster import cluster_cpus, joined
    from jarida.retrieval.cluster import ray_batches
    from jarida.retrieval.indexer import index

    with joined(args.cluster) as ray:
        actors = args.workers or max(1, cluster_cpus(ray))
        console.print(f"Ray cluster: {cluster_cpus(ray)} CPUs, {actors} encoder actors")
        batches = ray_batches(ray, settings, retrieval.embedder, actors)
        return index(settings, retrieval.store, retrieval.embedder, console, embed_batches=batches)


def _indexed_retrieval(settings: Settings):
    """The retrieval stage over `data_dir`, or None (after saying what to run) when nothing is indexed."""
    from jarida.retrieval.service import open_retrieval

    retrieval = open_retrieval(settings)
    if _empty_index(settings, retrieval):
        retrieval.close()
        return None
    return retrieval


def _empty_index(settings: Settings, retrieval) -> bool:
    """Whether nothing is indexed (after saying what to run)."""
    if retrieval.store.count() > 0:
        return False
    print(f"no indexed articles in {settings.data_dir}: run `jarida ingest PATH` then `jarida index`",
          file=sys.stderr)  # fmt: skip
    return True


def cmd_search(args: argparse.Namespace) -> int:
    from jarida.retrieval.store import SearchFilter

    settings = _settings(args)
    if not args.question.strip():
        print("jarida: the question is empty", file=sys.stderr)
        return 2
    retrieval = _indexed_retrieval(settings)
    if retrieval is None:
        return 1
    try:
        hits = retrieval.searcher.search(
            args.question, k=args.k, flt=SearchFilter(lang=args.lang, law_id=args.law), mode=args.mode
        )
    finally:
        retrieval.close()
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1))
        return 0
    for rank, hit in enumerate(hits, start=1):
        heading = hit.payload.get("heading") or (f"Article {hit.article}" if hit.article else "(document)")
        print(
            f"{rank:2}. [{hit.score:.3f}] {hit.law_id} {heading} ({hit.lang}) — {hit.payload.get('law_title', '')[:60]}"
        )
        print("    " + hit.text[:200].replace("\n", " "))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from jarida.retrieval.store import SearchFilter
    from jarida.serving.stack import open_stack

    settings = _settings(args)
    if not args.question.strip():
        print("jarida: the question is empty", file=sys.stderr)
        return 2
    stack = open_stack(settings, start_llm=False)
    try:
        if _empty_index(settings, stack.retrieval):  # checked before the LLM starts
            return 1
        stack.start_llm()
        if stack.llm_error:
            print(f"note: the LLM did not start, answering with the closest articles: {stack.llm_error}",
                  file=sys.stderr)  # fmt: skip
        flt = SearchFilter(lang=args.lang, law_id=args.law)
        if args.json:
            print(json.dumps(stack.answer(args.question, flt).to_dict(), ensure_ascii=False, indent=1))
            return 0
        answer = None
        for event in stack.stream(args.question, flt):
            if event.kind == "delta":
                print(event.text, end="", flush=True)
            elif event.kind == "done":
                answer = event.answer
    finally:
        stack.close()
    assert answer is not None
    print()
    if answer.status != "grounded":
        print(answer.notice or answer.answer)
    for c in answer.citations:
        print(f"[{c.n}] {c.law_title} — {c.heading or 'Article ' + c.article} ({c.lang}) {c.bo_ref}".rstrip())
    for flag in answer.flags:
        print(f"note: {flag}", file=sys.stderr)
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """Become `streamlit run jarida/ui/app.py -- --data-dir DIR` (exec: signals reach Streamlit directly)."""
    import os

    from jarida import ui

    settings = _settings(args)
    if args.api_port:
        from jarida.ui.launch import run_with_api

        if not settings.db_path.exists():
            print(f"no article store in {settings.data_dir}: run `jarida ingest PATH` then `jarida index`",
                  file=sys.stderr)  # fmt: skip
            return 1
        run_with_api(settings, args.host, args.port, args.api_port)
        return 0
    app = Path(ui.__file__).resolve().parent / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", args.host,
               "--server.port", str(args.port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--client.toolbarMode", "minimal", "--", "--data-dir", str(settings.data_dir.resolve())]  # fmt: skip
    print(f"jarida ui: http://{args.host}:{args.port} (data: {settings.data_dir}); Ctrl-C stops it", file=sys.stderr)
    sys.stderr.flush()
    os.execv(sys.executable, command)
    return 0  # not reached


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the HTTP API (`jarida.serving.app`) with uvicorn until interrupted."""
    from jarida.serving.app import serve

    settings = load_settings(data_dir=args.data_dir, api_auth=False if args.no_auth else None)
    if not settings.db_path.exists():
        print(f"no article store in {settings.data_dir}: run `jarida ingest PATH` then `jarida index`", file=sys.stderr)
        return 1
    if not settings.api_auth:
        print("jarida serve: --no-auth: /v1/* needs no API key (local development only)", file=sys.stderr)
    serve(settings, args.host, args.port)
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    """Create, list or revoke API keys (stored hashed under the data dir)."""
    from jarida.serving.api_keys import KeyStore, KeyStoreError

    settings = _settings(args)
    if args.action != "list" and not args.name:
        print(f"jarida keys {args.action}: give the key's NAME", file=sys.stderr)
        return 2
    keys = KeyStore(settings.data_dir)
    try:
        if args.action == "create":
            per_minute = args.per_minute or settings.api_rate_per_minute
            key = keys.create(args.name, per_minute)
            print(key)
            print(f"key {args.name!r} ({per_minute}/min): shown once, store it now", file=sys.stderr)
        elif args.action == "revoke":
            keys.revoke(args.name)
            print(f"key {args.name!r} revoked", file=sys.stderr)
        else:
            for k in keys.list():
                state = "active" if k.active else "revoked"
                print(f"{k.name}\t{k.shown}\t{k.per_minute}/min\t{state}")
    except KeyStoreError as exc:
        print(f"jarida keys: {exc}", file=sys.stderr)
        return 1
    finally:
        keys.close()
    return 0


def _epochs(args: argparse.Namespace) -> dict[str, int]:
    return {"epochs": args.epochs} if args.epochs else {}


def cmd_train(args: argparse.Namespace) -> int:
    from rich.console import Console

    settings = _settings(args)
    console = Console(stderr=True)
    questions = args.questions or settings.train_questions
    if not questions.is_file():
        print(f"jarida train: no question file {questions} (set JARIDA_TRAIN_QUESTIONS)", file=sys.stderr)
        return 2
    if args.what == "encoder":
        from jarida.retrieval.finetune import ADAPTER_DIR, EncoderRecipe, train_encoder

        recipe = EncoderRecipe(seed=args.seed, threads=args.threads or 0, **_epochs(args))
        card = train_encoder(settings, questions, args.out or ADAPTER_DIR, recipe, console)
    elif args.what == "queries":
        from jarida.retrieval.train_queries import QUERY_ADAPTER_DIR, QueryRecipe, train_queries

        recipe = QueryRecipe(seed=args.seed, threads=args.threads or 0, **_epochs(args))
        card = train_queries(settings, questions, args.out or QUERY_ADAPTER_DIR, recipe, console)
    elif args.what == "gate":
        from jarida.retrieval.gate import PACKAGED_GATE
        from jarida.retrieval.train_gate import train_gate

        card = train_gate(settings, questions, args.out or PACKAGED_GATE, args.seed, console)
    else:
        from jarida.retrieval.reranker import PACKAGED_RERANKER
        from jarida.retrieval.train_reranker import RerankerRecipe, train_reranker

        recipe = RerankerRecipe(seed=args.seed, threads=args.threads or 0, **_epochs(args))
        card = train_reranker(settings, questions, args.out or PACKAGED_RERANKER, recipe, console)
    print(json.dumps(card, ensure_ascii=False, indent=1))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.what == "answers":
        from jarida.eval import answer_eval

        return answer_eval.main(_settings(args), args)
    if args.what == "retrieval":
        from jarida.eval import retrieval_eval

        return retrieval_eval.main(_settings(args), args)
    from jarida.eval import ingest_checks

    return ingest_checks.main(_settings(args), args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jarida", description="Assistant over Morocco's Bulletin officiel")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", type=Path, default=None, help="indexes and caches (default: JARIDA_DATA_DIR, else ./data)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "ingest",
        parents=[common],
        help="read PDFs, page images and digitised JSONL into articles",
        epilog="Exit status: 0 every file stored or unchanged; 1 some files failed (the others are stored, "
        "see `jarida sources`); 2 bad settings; 130 interrupted (run again to resume).",
    )
    p.add_argument("paths", nargs="+", type=Path, help="files or folders")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Tesseract processes (default: one per core); with --cluster, pages in flight per file",
    )
    p.add_argument("--force", action="store_true", help="re-read files even if unchanged")
    p.add_argument(
        "--cluster",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="read pages on the Ray cluster at ADDRESS (alone: RAY_ADDRESS, else a local `ray start`)",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("export", parents=[common], help="print stored articles as JSON lines")
    p.add_argument("--law", default=None)
    p.add_argument("--lang", default=None, choices=["fr", "ar"])
    p.add_argument("--with-index-text", action="store_true", help="include the normalised indexing form")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("sources", parents=[common], help="what ingest did with each file")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("index", parents=[common], help="embed and index stored articles into Qdrant")
    p.add_argument(
        "--cluster",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="embed on the Ray cluster at ADDRESS (alone: RAY_ADDRESS, else a local `ray start`)",
    )
    p.add_argument("--workers", type=int, default=None, help="with --cluster: encoder actors (default: one per CPU)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", parents=[common], help="hybrid search over indexed articles")
    p.add_argument("question")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--lang", default=None, choices=["fr", "ar"])
    p.add_argument("--law", default=None, help="law id, e.g. loi-65-99")
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "lexical"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", parents=[common], help="answer a question with cited articles")
    p.add_argument("question")
    p.add_argument("--lang", default=None, choices=["fr", "ar"], help="only articles in this language")
    p.add_argument("--law", default=None, help="law id, e.g. loi-65-99")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("ui", parents=[common], help="the Streamlit workspace for civil servants")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument(
        "--api-port",
        type=int,
        default=None,
        help="also serve the HTTP API and the chat page on this port, in the same process (one index)",
    )
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("serve", parents=[common], help="the HTTP API and the citizen chat page")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-auth", action="store_true", help="/v1/* without API keys (local development)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("keys", parents=[common], help="API keys for /v1/*: create NAME, list, revoke NAME")
    p.add_argument("action", choices=["create", "list", "revoke"])
    p.add_argument("name", nargs="?", default="", help="the key's name (create, revoke)")
    p.add_argument("--per-minute", type=int, default=None, help="requests per minute (default: api_rate_per_minute)")
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser(
        "train", parents=[common], help="train the encoder adapter, the query adapter, the reranker or the gate"
    )
    p.add_argument("what", choices=["encoder", "queries", "reranker", "gate"])
    p.add_argument("--questions", type=Path, default=None, help="labelled questions (default: train_questions)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=None, help="passes over the training pairs (default: the recipe's)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: the packaged one)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: every core)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", parents=[common], help="measure a stage against the shared corpus")
    p.add_argument("what", choices=["ingest", "ingest-bench", "retrieval", "answers"])
    p.add_argument("--questions", type=Path, default=None, help="question set (default: <eval_dir>/dev.jsonl)")
    p.add_argument("--split", choices=["validation", "training"], default=None,
                   help="instead: one side of the training questions' split by article")  # fmt: skip
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--corpus", type=Path, default=None, help="corpus folder (default: JARIDA_CORPUS_DIR)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--pages", type=int, default=8, help="pages per benchmark measurement")
    p.add_argument("--force", action="store_true", help="re-read every PDF (OCR still comes from the cache)")
    p.add_argument("--answerable", type=int, default=15, help="answers: answerable questions in the sample")
    p.add_argument("--unanswerable", type=int, default=5, help="answers: unanswerable questions in the sample")
    p.add_argument("--seed", type=int, default=0, help="answers: sample seed")
    p.add_argument("--all", action="store_true", help="answers: every question instead of a sample")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run `jarida` with `argv` (default: the process arguments)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:  # settings errors
        print(f"jarida: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # e.g. the embedded index held by another process
        print(f"jarida: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
