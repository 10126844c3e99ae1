from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from matcher.cli import app as cli
from matcher.cli.state import State
from matcher.config import Settings
from matcher.workspace.context import open_context
from tests.conftest import NEEDS, OUTCOMES, FakeEmbedder, write_jsonl

runner = CliRunner()


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if hasattr(command, "commands"):
            found += _commands(command, f"{prefix}{name} ")
    return found


def test_every_command_has_help_text() -> None:
    commands = _commands(typer.main.get_command(cli.app))  # type: ignore[arg-type]
    assert len(commands) >= 12
    for name, command in commands:
        assert (command.help or "").strip(), f"`matcher {name}` has no help text"
        result = runner.invoke(cli.app, [*name.split(), "--help"])
        assert result.exit_code == 0, name


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    fake = FakeEmbedder()
    monkeypatch.setattr(State, "opener", lambda s: open_context(s, embedder=fake))
    return tmp_path / "ws"


def invoke(home: Path, *args: str) -> str:
    result = runner.invoke(cli.app, ["--home", str(home), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_import_index_match_round_trip(home: Path, tmp_path: Path) -> None:
    out = invoke(home, "import", "outcomes", "--no-index", str(write_jsonl(tmp_path / "o.jsonl", OUTCOMES)))
    assert "outcomes: 新建 5，" in out and "可检索" not in out
    out = invoke(home, "import", "needs", str(write_jsonl(tmp_path / "n.jsonl", NEEDS)))
    assert "5 项成果变动" in out and "新记录现已可检索" in out  # the import ends with the index caught up
    assert "embedded 0" in invoke(home, "index", "build")
    assert "indexed outcomes: 5" in invoke(home, "index", "status")
    assert '"ok": true' in invoke(home, "index", "verify")
    result = json.loads(invoke(home, "match", "--need-id", "N1", "--level", "outcome", "--top", "3", "--json"))
    assert result["level"] == "outcome" and len(result["hits"]) == 3 and result["hits"][0]["matched_terms"]
    table = invoke(home, "match", "电池热失控预警", "--level", "expert")
    assert "谭明" in table
    assert "outcomes" in invoke(home, "stats")


def test_errors_are_one_clear_line(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setattr("sys.argv", ["matcher", "--home", str(home), "match", "--need-id", "missing"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2  # unknown id: a NotFoundError
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_settings_come_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MATCHER_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("MATCHER_WEIGHT_DENSE", "0.5")
    s = Settings()
    assert s.home == tmp_path / "h" and s.weight_dense == 0.5
    assert s.db_url() == f"sqlite:///{tmp_path / 'h' / 'matcher.db'}"
