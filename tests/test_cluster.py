"""The Ray cluster path (`--cluster`): same articles and vectors as the local path, and it survives killed processes.

A real Ray cluster is started for the module with `ray start --head --block` on 127.0.0.1 with 2 CPUs (free ports,
no dashboard, no usage stats; `jarida.cluster.local_head`) and stopped by its own process at the end. The input,
made at test time, is a born-digital PDF (text layer) and two small scanned PDFs (page images only: every page
goes through Tesseract). Indexing goes to qdrant-client's local mode with the 2 M-chunk cluster layout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from jarida.cluster import LOOPBACK_ENV, local_head
from jarida.retrieval.store import COLLECTION, CollectionLayout
from jarida.settings import Settings, load_settings
from tests.conftest import REPO
from tests.pdfgen import build_pdf, write_pdf

os.environ.update(LOOPBACK_ENV)  # before `ray` is imported: this process is a driver of the test's cluster too
ray = pytest.importorskip("ray", reason="the cluster extra (pip install -e '.[cluster]')")
OCR_DPI = 200  # small pages read quickly; the same on both paths
CLUSTER_LAYOUT = CollectionLayout(shards=3, replicas=2, on_disk=True)  # README "Scaling": 2 M chunks on 3 nodes
SUBJECTS = ["Le service", "La commission", "Le ministre", "L'administration", "Le tribunal", "Le conseil"]
VERBS = ["enregistre", "examine", "publie", "conserve", "transmet", "vérifie"]
OBJECTS = ["les demandes reçues", "le registre des fichiers", "les décisions rendues", "les pièces justificatives",
           "le rapport annuel", "les déclarations déposées"]  # fmt: skip


def scanned_law(number: str, pages: int) -> list[list[str]]:
    """A law of three articles a page, each sentence different (repeated lines would be taken for running heads)."""
    out, n = [], 1
    for p in range(pages):
        lines = [f"Loi n° {number} relative aux essais de robustesse", "Chapitre premier - Dispositions générales"]
        lines = lines if p == 0 else []
        for _ in range(3):
            s, v, o = SUBJECTS[n % 6], VERBS[(n * 5) % 6], OBJECTS[(n * 7 + p) % 6]
            lines += ["Article premier" if n == 1 else f"Article {n}", f"{s} {v} {o} ({number}) sous {n + 2} jours."]
            n += 1
        out.append(lines)
    return out


def write_scanned_pdf(path: Path, pages: list[list[str]], dpi: int = 150) -> Path:
    """A PDF of page images only, as a scanner makes them: `pages` typeset, rendered, and wrapped again."""
    import pypdfium2 as pdfium

    from jarida.ingest.pdf import render_page

    doc = pdfium.PdfDocument(build_pdf(pages))
    images = [render_page(doc[i], dpi) for i in range(len(doc))]
    doc.close()
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A 2-CPU Ray head on 127.0.0.1 for the module (`jarida.cluster.local_head`); its address."""
    with local_head(2, tmp_path_factory.mktemp("ray") / "ray.log") as address:
        yield address


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A born-digital PDF (its text layer is read: stored first, while the scans' pages are still in flight),
    then two scanned ones."""
    folder = tmp_path_factory.mktemp("scans")
    return [
        write_pdf(folder / "text.pdf", scanned_law("99-03", 2)),
        write_scanned_pdf(folder / "scan-a.pdf", scanned_law("99-01", 2)),
        write_scanned_pdf(folder / "scan-b.pdf", scanned_law("99-02", 5)),
    ]


def _settings(data: Path, model_dir: Path) -> Settings:
    """A data dir with its own (empty) OCR and embedding caches and the session's converted e5 model."""
    (data / "models").mkdir(parents=True)
    (data / "models" / "e5-small").symlink_to(model_dir, target_is_directory=True)
    return load_settings(config_file=data / "none.toml", data_dir=data, ocr_dpi=OCR_DPI, ocr_workers=2)


def _jarida(*args: str, data: Path, timeout: float = 120) -> subprocess.Popen:
    env = {**os.environ, **LOOPBACK_ENV, "JARIDA_OCR_DPI": str(OCR_DPI), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "jarida.cli", *args, "--data-dir", str(data)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _articles(data: Path) -> list[tuple]:
    db = sqlite3.connect(f"file:{data / 'jarida.sqlite'}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT id, source, record FROM articles ORDER BY source, seq").fetchall()
    finally:
        db.close()


def _done(data: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{data / 'jarida.sqlite'}?mode=ro", uri=True, timeout=30)
        try:
            return db.execute("SELECT COUNT(*) FROM sources WHERE status = 'done'").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:
        return 0


def _points(store) -> dict[str, tuple[dict, np.ndarray]]:
    """chunk key → (payload, dense vector) of every point of a qdrant-client store."""
    records, _ = store.client.scroll(COLLECTION, limit=10_000, with_payload=True, with_vectors=["dense"])
    return {r.payload["chunk_key"]: (r.payload, np.asarray(r.vector["dense"], np.float32)) for r in records}


def _index(settings: Settings, embedder, store_path: Path, address: str | None = None):
    """Index `settings`' articles into a qdrant-client local store with the 2 M-chunk cluster layout, here or on
    the cluster at `address` (two encoder actors); the report and the points."""
    from jarida.cluster import joined
    from jarida.retrieval.cluster import ray_batches
    from jarida.retrieval.indexer import index
    from jarida.retrieval.store import ClientStore

    store = ClientStore(embedder.dim, path=store_path, layout=CLUSTER_LAYOUT)
    try:
        if address is None:
            report = index(settings, store, embedder)
        else:
            with joined(address) as driver:
                report = index(settings, store, embedder, embed_batches=ray_batches(driver, settings, embedder, 2))
        return report, _points(store)
    finally:
        store.close()


@contextlib.contextmanager
def _embedder(settings: Settings):
    from jarida.retrieval.embeddings import Embedder

    embedder = Embedder.from_settings(settings)
    try:
        yield embedder
    finally:
        embedder.close()


@pytest.fixture(scope="module")
def local_run(scans: list[Path], model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The local path (one process, a pool of 2 Tesseracts): data dir, index report, points."""
    from jarida.ingest.pipeline import ingest

    settings = _settings(tmp_path_factory.mktemp("local") / "data", model_dir)
    before = os.environ.get("OMP_THREAD_LIMIT")
    summary = ingest(scans, settings)
    assert not summary.errors and summary.ocr_pages == 7 and summary.text_pages == 2
    # OCR leaves no OpenMP limit behind: torch loaded after it would compute wrong bfloat16 vectors (see ocr.py)
    assert os.environ.get("OMP_THREAD_LIMIT") == before
    with _embedder(settings) as embedder:
        report, points = _index(settings, embedder, settings.data_dir / "qdrant-local")
    return settings.data_dir, report, points


def test_the_cluster_path_stores_and_indexes_what_the_local_path_does(
    cluster: str, scans: list[Path], local_run, model_dir: Path, tmp_path: Path
) -> None:
    local_data, local_report, local_points = local_run
    settings = _settings(tmp_path / "data", model_dir)
    run = _jarida("ingest", *map(str, scans), "--cluster", cluster, data=settings.data_dir)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "Ray cluster: 2 CPUs" in err and "3 processed, 0 unchanged" in err
    assert len(list((settings.cache_dir / "ocr").rglob("*.json"))) == 7  # OCR'd by the workers, into the shared cache
    assert _articles(settings.data_dir) == _articles(local_data)  # ids, texts, provenance: every stored field
    assert len(_articles(local_data)) == 27

    with _embedder(settings) as embedder:  # this data dir's, with its own (empty) embedding cache
        report, points = _index(settings, embedder, tmp_path / "qdrant", cluster)
        again, _ = _index(settings, embedder, tmp_path / "qdrant", cluster)  # incremental: nothing to embed
        fresh, fresh_points = _index(settings, embedder, tmp_path / "qdrant-fresh", cluster)  # all from the cache
    # the cluster layout as a server receives it (qdrant-client's local mode keeps the on-disk vectors only)
    params = CLUSTER_LAYOUT.create_params()
    assert (params["shard_number"], params["replication_factor"], params["on_disk_payload"]) == (3, 2, True)
    assert params["quantization_config"].scalar.always_ram and params["hnsw_config"].m == 16
    articles = len(_articles(local_data))
    assert (report.chunks, report.embedded, report.tokens) == (local_report.chunks, articles, local_report.tokens)
    assert points.keys() == local_points.keys() and len(points) == articles
    for key, (payload, vector) in points.items():
        assert payload == local_points[key][0]
        assert np.abs(vector - local_points[key][1]).max() < 1e-3 and vector @ local_points[key][1] > 0.99999
    assert (again.embedded, again.unchanged, again.tokens) == (0, articles, 0)
    assert (fresh.embedded, fresh.tokens) == (articles, 0)
    assert all(np.array_equal(fresh_points[k][1], points[k][1]) for k in points)


def _ray_worker_running_tesseract(deadline: float, driver: subprocess.Popen) -> tuple[int, int] | None:
    """(Ray worker pid, its Tesseract pid) once a Ray worker runs Tesseract, None if none did before `deadline`."""
    while time.monotonic() < deadline and driver.poll() is None:
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if not cmdline.read_bytes().startswith(b"tesseract"):
                    continue
                parent = int((cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if Path(f"/proc/{parent}/cmdline").read_bytes().startswith(b"ray::"):
                    return parent, int(cmdline.parent.name)
            except (OSError, ValueError, IndexError):
                continue
        time.sleep(0.02)
    return None


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_killed_ray_worker_and_a_killed_driver_lose_and_duplicate_nothing(
    cluster: str, scans: list[Path], local_run, model_dir: Path, tmp_path: Path
) -> None:
    reference = _articles(local_run[0])
    args = ["ingest", *map(str, scans), "--cluster", cluster]

    # A Ray worker killed (SIGKILL) while it runs Tesseract: Ray runs its page again elsewhere, the run completes.
    data = _settings(tmp_path / "worker-killed", model_dir).data_dir
    driver = _jarida(*args, data=data)
    found = _ray_worker_running_tesseract(time.monotonic() + 60, driver)
    assert found, "no Ray worker ran Tesseract"
    worker, tesseract = found
    os.kill(worker, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(tesseract, signal.SIGKILL)  # the killed worker's child: not left running
    out, err = driver.communicate(timeout=120)
    assert driver.returncode == 0 and "3 processed, 0 unchanged" in err, err
    assert _articles(data) == reference  # nothing lost, nothing duplicated

    # The driver killed (SIGKILL) once a file is stored, the scans' pages in flight: a rerun resumes.
    data = _settings(tmp_path / "driver-killed", model_dir).data_dir
    driver = _jarida(*args, data=data)
    deadline = time.monotonic() + 60
    while _done(data) < 1 and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    driver.send_signal(signal.SIGKILL)
    driver.communicate(timeout=30)
    assert driver.returncode == -signal.SIGKILL, "ingest ended before it could be killed"
    done = _done(data)
    assert 1 <= done < len(scans), "every file was stored before the driver could be killed"
    stored = _articles(data)
    names = {source for _, source, _ in stored}
    assert stored == [a for a in reference if a[1] in names]  # whole files only, as the local path stores them
    rerun = _jarida(*args, data=data)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0 and f"{len(scans) - done} processed, {done} unchanged" in err, err
    resumed = _articles(data)
    assert resumed == reference and len({a[0] for a in resumed}) == len(resumed)
