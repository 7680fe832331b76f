"""`jarida index` and `jarida search --json` for real, in subprocesses, on loi 09-08 (French edition)."""

import json

from tests.conftest import run_jarida


def test_index_then_search_json_through_the_cli(corpus, tmp_path, model_dir):
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to(model_dir.parent, target_is_directory=True)  # the session's converted model
    assert run_jarida("ingest", str(corpus / "articles" / "fr_loi_09_08.jsonl"), data_dir=data).returncode == 0
    indexed = run_jarida("index", data_dir=data)
    assert indexed.returncode == 0, indexed.stderr
    assert "67 articles" in indexed.stderr and "tokens/s" in indexed.stderr
    again = run_jarida("index", data_dir=data)
    assert "0 embedded" in again.stderr
    found = run_jarida("search", "article 7 de la loi 09-08", "--k", "3", "--json", data_dir=data)
    hits = json.loads(found.stdout)
    assert {"law_id", "article", "lang", "score", "text"} <= set(hits[0])
    assert (hits[0]["law_id"], hits[0]["article"], hits[0]["reference"]) == ("loi-09-08", "7", True)
    filtered = run_jarida("search", "droit d'accès", "--lang", "ar", "--json", data_dir=data)
    assert json.loads(filtered.stdout) == []  # no Arabic edition indexed here
