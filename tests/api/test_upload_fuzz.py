"""Issue 41: a mutated file of every format posted to the bulk upload is an answer (a reject or a refusal in
Chinese), never a 500; the preview too."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import as_role
from tests.test_import_files import _corpus, _mutate

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ris": "ris", ".enw": "enw", ".xlsx": "xlsx",
           ".xls": "xls", ".docx": "docx", ".zip": "zip"}  # fmt: skip


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_mutated_uploads_are_answers_never_500(
    client: TestClient, keys: dict[str, str], tmp_path: Path, suffix: str
) -> None:
    staff = as_role(keys, "staff")
    base = _corpus(tmp_path)[suffix]
    for seed in range(12):
        body = _mutate(base, seed)
        for preview in ("true", "false"):
            params = {"format": FORMATS[suffix], "preview": preview}
            answer = client.post("/needs/bulk", params=params, content=body, headers=staff)
            assert answer.status_code == 200, (seed, preview, answer.text[:300])
            assert "Traceback" not in answer.text
