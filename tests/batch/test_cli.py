"""`matcher batch …` through the CLI on the demo corpus."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from matcher.assign.compare import diff_runs
from matcher.cli import app as cli
from matcher.cli.state import State
from tests.batch.conftest import DEMO_NEEDS, open_demo

runner = CliRunner()


@pytest.fixture
def home(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(State, "opener", lambda s: open_demo(demo_home))
    return demo_home


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_run_show_export_diff(home: Path, tmp_path: Path) -> None:
    out = invoke("batch", "run", "--per-need", "2", "--alternates", "1", "--region-bonus", "5")
    assert f"done, {DEMO_NEEDS}/{DEMO_NEEDS} needs scored" in out and "proposals" in out and "greedy would reach" in out
    runs = [line.split("│")[1].strip() for line in invoke("batch", "list").splitlines() if "│ done" in line]
    assert len(runs) == 1
    summary = json.loads(invoke("batch", "show", "latest", "--json"))
    assert summary["id"] == runs[0]
    assert summary["params"]["per_need"] == 2 and summary["stats"]["proposals"] > 0
    invoke("batch", "export", runs[0], "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"))
    assert (
        load_workbook(tmp_path / "r.xlsx")["推荐清单"].max_row
        == summary["stats"]["proposals"] + summary["stats"]["alternates"] + summary["stats"]["left_out"] + 1
    )
    invoke("batch", "export", "latest", "--format", "csv", "--out", str(tmp_path / "r.csv"))
    header = next(csv.reader((tmp_path / "r.csv").open(encoding="utf-8-sig")))
    assert header[:3] == ["需求编号", "需求", "企业"]
    invoke("batch", "run", "--per-need", "3", "--alternates", "1")
    newest = next(line.split("│")[1].strip() for line in invoke("batch", "list").splitlines() if "│ done" in line)
    with open_demo(home).sessions() as session:
        d = diff_runs(session, old=runs[0], new=newest)
    assert d.added and f"{len(d.added)} new, {len(d.dropped)} dropped, {d.kept} kept" in invoke(
        "batch", "diff", runs[0], newest
    )


def test_exclusion_commands(home: Path) -> None:
    assert "exclusion 1 added" in invoke(
        "batch", "exclude", "X630cb57983b6", "--organization", "齐齐哈尔市重型铸造有限责任公司", "--reason", "合作方"
    )
    assert "合作方" in invoke("batch", "exclusions")
    assert "removed" in invoke("batch", "exclusions", "--remove", "1")


def test_bad_input_is_a_clear_error(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    for args, words in [
        (["batch", "run", "--needs", "yesterday"], "--needs must be open, all or since"),
        (["batch", "show", "nope"], "找不到批量推荐"),
        (["batch", "run", "--per-need", "0"], "invalid batch parameters: per_need"),
    ]:
        monkeypatch.setattr("sys.argv", ["matcher", *args])
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err


def test_run_once_under_a_name_runs_once(home: Path) -> None:
    first = invoke("batch", "run", "--per-need", "1", "--once", "2026-12-06")
    assert f"done, {DEMO_NEEDS}/{DEMO_NEEDS} needs scored" in first
    second = invoke("batch", "run", "--per-need", "1", "--once", "2026-12-06")
    assert "已由另一台主机或先前的调用开始" in second and "needs scored" not in second
    assert sum("│ done" in line for line in invoke("batch", "list").splitlines()) == 1
