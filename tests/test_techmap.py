"""The technology map on tiny hand-built stores: counts, gap and strength scores, labels, nearest suppliers,
determinism, the artifact folder, and the report files."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from matcher.cli import app as cli
from matcher.cli.state import State
from matcher.errors import InputError, MapMismatchError, NotFoundError
from matcher.export.map import write_report
from matcher.map import topics as tp
from matcher.map.build import MapParams, draw_map
from matcher.map.cells import cells
from matcher.map.docs import MapDoc, Person
from matcher.map.findings import Nearest
from matcher.map.model import TechMap
from matcher.map.view import view
from matcher.workspace.context import open_context
from tests.conftest import NEEDS, OUTCOMES, FakeEmbedder, write_jsonl


def need(i: str, region: str, *, open: bool = True, org: str | None = "甲公司", progress: str | None = None) -> MapDoc:
    return MapDoc("need", i, f"需求{i}", "", ["铸造"], region, "need", org, open=open, progress=progress)


def outcome(i: str, region: str, org: str = "乙大学", expert: str = "E1", year: int = 2022) -> MapDoc:
    return MapDoc(
        "outcome", i, f"成果{i}", "", ["涂料"], region, "patent", org, year=year, experts=[Person(expert, expert, org)]
    )


def test_a_region_with_demand_and_no_supply_is_a_gap_and_supply_without_demand_a_strength() -> None:
    docs = [need("n1", "黑龙江"), need("n2", "黑龙江", org="丙公司"), outcome("o1", "辽宁"), outcome("o2", "辽宁")]
    docs += [outcome("o3", "辽宁", org="丁所", expert="E2"), need("n3", "江苏"), outcome("o4", "江苏")]
    grid = {(c.topic, c.region): c for c in cells(docs, [0] * len(docs), alpha=2.0)}
    hlj, ln, js = grid[(0, "黑龙江")], grid[(0, "辽宁")], grid[(0, "江苏")]
    assert (hlj.needs, hlj.enterprises, hlj.outcomes, hlj.remote_outcomes) == (2, 2, 0, 4)
    assert (hlj.gap, hlj.gap_kind, hlj.strength) == (2.0, "remote", 0.0)
    assert (ln.outcomes, ln.experts, ln.institutions, ln.gap, ln.strength) == (3, 2, 2, 0.0, 3.0)
    assert (js.gap, js.strength) == (0.5, 0.0)  # 1 need − 1 outcome / 2


def test_demand_with_no_outcome_anywhere_is_an_absent_gap_and_progress_is_counted() -> None:
    docs = [
        need("n1", "重庆", progress="signed"),
        need("n2", "重庆", progress="meeting"),
        need("n3", "重庆", open=False),
    ]
    (cell,) = cells(docs, [0, 0, 0])
    assert (cell.needs, cell.closed_needs, cell.gap, cell.gap_kind, cell.met, cell.signed) == (
        2,
        1,
        2.0,
        "absent",
        2,
        1,
    )


def test_records_of_unknown_region_are_counted_but_never_a_gap_or_strength() -> None:
    (cell,) = cells([need("n1", "未注明"), need("n2", "未注明")], [0, 0])
    assert (cell.needs, cell.gap, cell.gap_kind, cell.strength) == (2, 0.0, None, 0.0)


def test_class_tfidf_prefers_what_is_frequent_here_and_rare_elsewhere() -> None:
    tokens = [["铸造", "涂料"], ["铸造"], ["电池", "铸造"]]
    labels = tp.Terms(skip=frozenset()).labels(tokens, np.array([0, 0, 1]))
    # class 0: 涂料 1/3·log(1 + 2.5/1) = 0.41759, 铸造 2/3·log(1 + 2.5/3) = 0.40409
    assert labels[0] == [
        ("涂料", pytest.approx(math.log(3.5) / 3, abs=1e-5)),
        ("铸造", pytest.approx(0.40409, abs=1e-5)),
    ]
    assert labels[1][0][0] == "电池"


def test_a_topic_is_named_by_a_phrase_not_a_word_list() -> None:
    assert tp.phrase(["回收", "余热", "余热回收", "发电", "锅炉"]) == "余热回收与发电"
    assert tp.phrase(["调度", "5g", "充电"]) == "调度与5G"
    assert tp.phrase(["储能"]) == "储能" and tp.phrase([]) == ""
    assert tp.phrase(["回收", "余热", "余热回收"], parts=1) == "余热回收"


def test_generic_words_never_label_a_topic() -> None:
    assert tp.Terms().labels([["制备", "镁合金"]], np.array([0]))[0][0][0] == "镁合金"


def test_topics_are_numbered_by_size_and_small_ones_fold_into_the_nearest() -> None:
    assert tp.renumber(np.array([2, 2, 0, 1, 1, 1])).tolist() == [1, 1, 2, 0, 0, 0]
    x = np.array([[1, 0], [1, 0.1], [1, -0.1], [0, 1], [0.1, 1], [0.9, 0.2]], dtype=np.float32)
    merged = tp.merge_small(np.array([0, 0, 0, 1, 1, 2]), x, min_size=2)
    assert merged.tolist() == [0, 0, 0, 1, 1, 0]


def test_auto_topics_follows_the_rule_of_thumb_within_the_minimum_size() -> None:
    assert (tp.auto_topics(200, 3), tp.auto_topics(10, 3), tp.auto_topics(1, 3)) == (10, 2, 1)


def test_nearest_gives_best_local_and_remote_outcomes_by_cosine() -> None:
    outs = [outcome("o1", "辽宁"), outcome("o2", "黑龙江"), outcome("o3", "上海")]
    vectors = np.array([[1, 0], [0.6, 0.8], [0, 1]], dtype=np.float32)
    ((local, remote),) = Nearest(outs, vectors).of(np.array([[1, 0]], dtype=np.float32), "黑龙江")
    assert local == pytest.approx(0.6) and remote == [(0, 1.0), (2, 0.0)]
    ((none_local, _),) = Nearest(outs, vectors).of(np.array([[1, 0]], dtype=np.float32), "江苏")
    assert none_local is None


def corpus() -> tuple[list[MapDoc], np.ndarray]:
    """Two technologies (casting coatings ~ axis 0, batteries ~ axis 1); 黑龙江 needs coatings, 辽宁 makes them."""
    docs = [need(f"n{i}", "黑龙江") for i in range(3)] + [outcome(f"o{i}", "辽宁", expert=f"E{i}") for i in range(4)]
    docs += [outcome(f"b{i}", "上海", org="电池所") for i in range(3)] + [need("nb", "上海", org="电池厂")]
    rng = np.random.default_rng(0)
    centre = np.array([[1, 0, 0, 0]] * 7 + [[0, 1, 0, 0]] * 4, dtype=np.float32)
    return docs, centre + 0.05 * rng.standard_normal(centre.shape).astype(np.float32)


def test_the_map_finds_the_gap_names_who_could_fill_it_and_lists_the_strength() -> None:
    docs, vectors = corpus()
    techmap = draw_map(docs, vectors, MapParams(topics=2, min_size=1))
    assert [(t.outcomes, t.needs) for t in techmap.topics] == [(4, 3), (3, 1)]
    (gap,) = techmap.gaps
    assert (gap.topic, gap.region, gap.score, gap.kind) == (0, "黑龙江", 3.0, "remote")
    assert [n.id for n in gap.needs] == ["n0", "n1", "n2"] and gap.institutions[0].name == "乙大学"
    assert gap.institutions[0].score == pytest.approx(sum(n.best_remote for n in gap.needs), abs=1e-3)
    strengths = {(s.topic, s.region): s.score for s in techmap.strengths}
    assert strengths == {(0, "辽宁"): 4.0, (1, "上海"): 1.0}  # 3 outcomes − 2 × 1 need


def test_a_rebuild_gives_identical_topics_and_the_folder_round_trips(tmp_path: Path) -> None:
    docs, vectors = corpus()
    first = draw_map(docs, vectors, MapParams(topics=2, min_size=1))
    again = draw_map(docs, vectors, MapParams(topics=2, min_size=1))
    assert first.assignments == again.assignments and first.topics == again.topics
    first.save(tmp_path / "map")
    loaded = TechMap.load(tmp_path / "map")
    assert (loaded.topics, loaded.cells, loaded.gaps, loaded.strengths) == (
        first.topics,
        first.cells,
        first.gaps,
        first.strengths,
    )
    assert json.loads((tmp_path / "map" / "params.json").read_text())["files"].keys() == {
        "topics.json",
        "cells.json",
        "findings.json",
        "assignments.csv",
    }


def test_a_corrupted_map_folder_is_a_clear_error(tmp_path: Path) -> None:
    docs, vectors = corpus()
    draw_map(docs, vectors, MapParams(topics=2, min_size=1)).save(tmp_path / "map")
    (tmp_path / "map" / "cells.json").write_text("[]", encoding="utf-8")
    with pytest.raises(MapMismatchError, match=r"cells\.json is corrupted"):
        TechMap.load(tmp_path / "map")


def test_views_narrow_to_a_region_or_field_and_unknown_names_are_not_found() -> None:
    docs, vectors = corpus()
    techmap = draw_map(docs, vectors, MapParams(topics=2, min_size=1, fields=2))
    shanghai = view(techmap, region="上海")
    assert [s.region for s in shanghai.strengths] == ["上海"] and shanghai.gaps == []
    assert len(shanghai.cells) == len(techmap.cells)  # the heatmap still compares every region
    only = view(techmap, field=techmap.fields[1].name)
    assert [t.id for t in only.topics] == techmap.fields[1].topics
    with pytest.raises(NotFoundError, match="现有地区：上海、辽宁、黑龙江"):
        view(techmap, region="火星")
    with pytest.raises(NotFoundError, match="没有领域"):
        view(techmap, field="无此领域")


def test_nothing_to_map_and_bad_parameters_are_input_errors() -> None:
    with pytest.raises(InputError, match="nothing to map"):
        draw_map([], np.zeros((0, 4)), MapParams())
    with pytest.raises(InputError, match="--topics"):
        MapParams(topics=0)


def test_the_report_folder_holds_html_json_and_a_workbook(tmp_path: Path) -> None:
    docs, vectors = corpus()
    v = view(draw_map(docs, vectors, MapParams(topics=2, min_size=1)), region="黑龙江")
    html, data, book = write_report(v, tmp_path / "report")
    page = html.read_text(encoding="utf-8")
    assert "技术图谱 · 黑龙江" in page and 'id="gap-0-黑龙江"' in page.replace("'", '"') and "<script" not in page
    assert json.loads(data.read_text(encoding="utf-8"))["gaps"][0]["needs"][0]["id"] == "n0"
    sheets = load_workbook(book)
    assert sheets.sheetnames == ["主题", "供需", "缺口", "优势"] and sheets["缺口"].max_row == 4  # header + 3 needs


def test_cli_builds_shows_and_reports_the_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeEmbedder()
    monkeypatch.setattr(State, "opener", lambda s: open_context(s, embedder=fake))
    runner, home = CliRunner(), ["--home", str(tmp_path / "ws")]
    for kind, rows in (("outcomes", OUTCOMES), ("needs", NEEDS)):
        assert (
            runner.invoke(
                cli.app, [*home, "import", kind, str(write_jsonl(tmp_path / f"{kind}.jsonl", rows))]
            ).exit_code
            == 0
        )
    built = runner.invoke(cli.app, [*home, "map", "build", "--topics", "2", "--min-size", "1"])
    assert built.exit_code == 0 and "7 documents → 2 topics" in built.stdout
    shown = json.loads(runner.invoke(cli.app, [*home, "map", "show", "--region", "黑龙江", "--json"]).stdout)
    assert [n["id"] for g in shown["gaps"] for n in g["needs"]] == ["N1"]
    report = runner.invoke(cli.app, [*home, "map", "report", "--out", str(tmp_path / "r")])
    assert report.exit_code == 0 and (tmp_path / "r" / "index.html").exists()
    unknown = runner.invoke(cli.app, [*home, "map", "show", "--region", "火星"])
    assert isinstance(unknown.exception, NotFoundError)
    assert isinstance(runner.invoke(cli.app, [*home, "map", "build", "--topics", "many"]).exception, InputError)


def test_a_region_is_read_off_an_institution_name_when_none_is_given() -> None:
    from matcher.text.regions import region_of

    found = [region_of(n) for n in ("哈尔滨工业大学", "清华大学", "中国石油大学（华东）", "中国科学院金属研究所", None)]
    assert found == ["黑龙江", "北京", "山东", None, None]


def test_the_report_words_follow_its_numbers_and_each_red_cell_links_to_a_listed_gap(tmp_path: Path) -> None:
    from matcher.map.cells import Cell
    from matcher.map.findings import NeedRef
    from matcher.map.report import gap_words, nearest_words, render

    closer_here = NeedRef("n1", "需求", None, best_local=0.95, best_remote=0.93)
    assert nearest_words(closer_here) == "最相近的成果在本地；相似度：本地 0.95，外地 0.93"
    assert nearest_words(NeedRef("n2", "需求", None, 0.5, 0.7)).startswith("最相近的成果在外地")
    assert nearest_words(NeedRef("n3", "需求", None, None, None)) == "相似度：本地 无，外地 无"
    cell = Cell(0, "黑龙江", needs=3, outcomes=1, remote_outcomes=4, gap=2.5, gap_kind="remote")
    none_here = Cell(0, "黑龙江", needs=3, outcomes=0, remote_outcomes=4, gap=3, gap_kind="remote")
    assert nearest_words(closer_here, none_here).startswith("最相近的成果在本地（属其他主题）；")
    assert gap_words(cell, 2.0) == "本地同类成果 1 项，按每条需求 2 项计，不够 3 条开放需求；外地有同类成果 4 项"
    docs, vectors = corpus()
    v = view(draw_map(docs, vectors, MapParams(topics=2, min_size=1)), region="黑龙江")
    page = render(v).replace("'", '"')
    assert "本地供给不足" not in page
    targets = re.findall(r'<a href="#(gap-[^"]+)">', page)
    assert targets and all(f'id="{t}"' in page for t in targets)  # no red cell leads nowhere
    everywhere = view(draw_map(docs, vectors, MapParams(topics=2, min_size=1)))  # strengths in 辽宁 and 上海
    book = load_workbook(write_report(everywhere, tmp_path / "r")[2])
    assert {r[6] for r in book["优势"].iter_rows(min_row=2, values_only=True)} == {"专利"}  # not "patent"
