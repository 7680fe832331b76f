"""The questions a new user asked and got refused (issue "learned relevance") are answered on both doors.

The Code du travail (French digitised edition) indexed with the trained encoder, reranked by the trained
cross-encoder, gated by the trained answerability gate, answered by the default embedded model (Qwen2.5 1.5B)
through the real API: `/v1/query` (developers) and `/chat/api/query` (the citizens' chat page).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import indexed_data_dir, llm_settings

QUESTIONS = [
    ("Combien de jours de congé de maternité a une salariée ?", "152"),
    ("Quel est le délai de préavis en cas de licenciement d'un salarié ?", "43"),
]


@pytest.fixture(scope="module")
def travail(corpus: Path, tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    return indexed_data_dir(
        tmp_path_factory.mktemp("travail"), model_dir, [corpus / "articles" / "fr_code_travail.jsonl"]
    )


def chat_answer(client: TestClient, question: str) -> dict:
    """The `done` event of the chat page's streamed answer."""
    with client.stream("POST", "/chat/api/query", json={"question": question}) as response:
        assert response.status_code == 200
        events = [line for line in response.iter_lines() if line.startswith("data:")]
    return json.loads(events[-1][len("data:") :])


@pytest.mark.xfail(
    strict=True,
    reason="issue 11 must-show 4, not reached: with the packaged reranker and gate (README 'Learned relevance') the "
    "gate still refuses these two questions on this fixture. Strict: passing fails CI until this mark is removed.",
)
def test_refused_questions_are_answered_on_both_doors(travail: Path, qwen_file: Path) -> None:
    from jarida.serving.app import create_app

    settings = llm_settings(travail, qwen_file, api_auth=False)
    with TestClient(create_app(settings)) as client:
        for question, article in QUESTIONS:
            api = client.post("/v1/query", json={"question": question}).json()
            chat = chat_answer(client, question)
            for answer in (api, chat):
                assert answer["status"] == "grounded", (question, answer["answer"], answer["retrieved"][:2])
                cited = {(c["law_id"], c["article"]) for c in answer["citations"]}
                assert ("loi-65-99", article) in cited, (question, cited)
