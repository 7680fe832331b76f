"""A `jarida ingest` killed midway resumes on re-run: same article ids as a clean run, no duplicates, no rework.

Real CLI subprocesses over the shared corpus's digitised JSONL files and a born-digital BO PDF (no OCR, so quick);
the run is killed with SIGKILL as soon as the store shows a finished source.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, run_jarida

CHANGED = "fr_loi_09_08.jsonl"  # copied into the test's folder, then edited between runs


def _inputs(corpus: Path, inbox: Path) -> list[str]:
    inbox.mkdir()
    shutil.copy(corpus / "articles" / CHANGED, inbox / CHANGED)
    jsonl = [str(p) for p in sorted((corpus / "articles").glob("*.jsonl")) if p.name != CHANGED]
    return [*jsonl, str(inbox / CHANGED), str(corpus / "pdf" / "fr-bo-5714-loi-09-08.pdf")]


def _query(data_dir: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(f"file:{data_dir / 'jarida.sqlite'}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def _done_count(data_dir: Path) -> int:
    try:
        return _query(data_dir, "SELECT COUNT(*) FROM sources WHERE status = 'done'")[0][0]
    except sqlite3.OperationalError:  # the store or its tables do not exist yet
        return 0


def _kill_after_first_source(paths: list[str], data_dir: Path, log: Path) -> int:
    """Start `jarida ingest`, SIGKILL it once one source is stored; return how many sources were done by then."""
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jarida.cli", "ingest", *paths, "--data-dir", str(data_dir)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            cwd=REPO,
        )
        deadline = time.monotonic() + 60
        while _done_count(data_dir) < 1 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"ingest ended before it could be killed:\n{log.read_text()}"
    return _done_count(data_dir)


def _store(data_dir: Path) -> tuple[list[tuple], dict[str, tuple]]:
    """(articles as (id, source, record), sources as name -> (status, sha256, articles, updated))."""
    articles = _query(data_dir, "SELECT id, source, record FROM articles ORDER BY source, seq")
    rows = _query(data_dir, "SELECT source, status, sha256, articles, updated FROM sources")
    return articles, {row[0]: row[1:] for row in rows}


def _unchanged(stderr: str) -> tuple[int, int]:
    found = re.search(r"(\d+) processed, (\d+) unchanged", stderr)
    assert found, stderr
    return int(found[1]), int(found[2])


def test_a_killed_ingest_resumes_without_duplicates_or_rework(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the summary table on one line per row
    paths = _inputs(corpus, tmp_path / "inbox")
    killed, clean = tmp_path / "killed", tmp_path / "clean"

    done_at_kill = _kill_after_first_source(paths, killed, tmp_path / "killed.log")
    articles, sources = _store(killed)
    assert 1 <= done_at_kill < len(paths)
    for name, (status, _, count, _) in sources.items():  # a killed run leaves whole sources or nothing
        stored = sum(1 for _, source, _ in articles if source == name)
        assert stored == (count if status == "done" else 0), name

    resumed = run_jarida("ingest", *paths, data_dir=killed, timeout=120)
    assert "Traceback" not in resumed.stderr
    assert _unchanged(resumed.stderr) == (len(paths) - done_at_kill, done_at_kill)

    reference = run_jarida("ingest", *paths, data_dir=clean, timeout=120)
    assert resumed.returncode == reference.returncode
    resumed_articles, resumed_sources = _store(killed)
    clean_articles, clean_sources = _store(clean)
    ids = [a[0] for a in resumed_articles]
    assert len(ids) == len(set(ids)) > 4000
    assert ids == [a[0] for a in clean_articles]
    assert resumed_articles == clean_articles  # same records, not only the same ids
    assert {k: v[:3] for k, v in resumed_sources.items()} == {k: v[:3] for k, v in clean_sources.items()}

    # Over unchanged files a re-run does nothing: every stored source is skipped and keeps its timestamp.
    done = {name for name, row in clean_sources.items() if row[0] == "done"}
    again = run_jarida("ingest", *paths, data_dir=clean, timeout=120)
    assert _unchanged(again.stderr) == (len(paths) - len(done), len(done))
    again_articles, again_sources = _store(clean)
    assert again_articles == clean_articles
    assert {k: again_sources[k] for k in done} == {k: clean_sources[k] for k in done}  # failed ones are retried

    # A changed file replaces its records, and only its records.
    rows = [json.loads(line) for line in (tmp_path / "inbox" / CHANGED).read_text(encoding="utf-8").splitlines()]
    rows = rows[:10]
    rows[0]["text"] = "Texte modifié de l'article premier."
    (tmp_path / "inbox" / CHANGED).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    changed = run_jarida("ingest", *paths, data_dir=clean, timeout=120)
    assert _unchanged(changed.stderr) == (len(paths) - len(done) + 1, len(done) - 1)
    after_articles, after_sources = _store(clean)
    mine = [json.loads(record) for _, source, record in after_articles if source == CHANGED]
    assert [a["article"] for a in mine] == [r["article"] for r in rows]
    assert mine[0]["text"] == "Texte modifié de l'article premier."
    assert [a for a in after_articles if a[1] != CHANGED] == [a for a in clean_articles if a[1] != CHANGED]
    assert after_sources[CHANGED][2] == 10
    assert {k: v for k, v in after_sources.items() if k in done - {CHANGED}} == {
        k: v for k, v in clean_sources.items() if k in done - {CHANGED}
    }


def _live_children(pid: int) -> set[int]:
    """Processes whose parent is `pid` and that are not zombies (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, IndexError):
            continue
        if int(ppid) == pid and state != "Z":
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_kill_during_ocr_leaves_no_worker_processes_behind(corpus: Path, tmp_path: Path) -> None:
    """OCR workers notice their ingest process is gone and exit, instead of lingering as orphans."""
    scanned = corpus / "pdf" / "ar-arrete-conjoint-interieur-agriculture-ble.pdf"  # every page needs OCR
    args = ["ingest", str(scanned), "--workers", "2", "--data-dir", str(tmp_path / "data")]  # an empty OCR cache
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the killed Tesseract's temporary files stay in the test's folder
    proc = subprocess.Popen([sys.executable, "-m", "jarida.cli", *args], stderr=subprocess.DEVNULL, cwd=REPO, env=env)
    deadline, children, tesseracts = time.monotonic() + 60, set(), set()
    while not tesseracts and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # until a worker runs Tesseract
        children = _live_children(proc.pid)
        tesseracts = {t for pid in children for t in _live_children(pid)}
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert tesseracts and len(children) >= 3, children  # the resource tracker and two workers
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)]
