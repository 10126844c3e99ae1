"""The staff page over this wave's other work (issue 46, items 7 and 8), at a desktop (1440×900) and a phone
(390×844) in Debian's chromium: the 导入 card's preview (every mapped field, the header-row choice, duplicates,
when the records are searchable), the model history with rollback (admins only), 我的跟进 and 统计报表, and the
尚未校准 note where a 匹配度 is withheld."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from matcher.artifacts import history
from matcher.config import Settings
from matcher.learn.retrain import retrain
from matcher.ranking.calibration import Calibration, LevelMap
from matcher.services.users import create_key
from matcher.workspace.context import Context, open_context
from tests.api.live import live_server
from tests.api.test_browser import AXE, _latin_words, _serious, server  # noqa: F401 (the shared fixture)
from tests.api.test_browser_views import IN_VIEW, SIZES, _shot, signed_in
from tests.conftest import FakeEmbedder
from tests.model_corpus import judge, judgements, open_small

pytestmark = [pytest.mark.browser]
Server = tuple[str, str, str, Context]
GRID = [{"objective": "pairwise-linear", "C": 1.0}]  # one configuration: the view, not the search, is tested
VERSION_ID = re.compile(r"\d{8}T\d{6}")


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)




def _fits(page, size: str) -> None:
    """Nothing wider than the screen (a wide table scrolls inside its card)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]


def _axe(page) -> list[str]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make browser` (npm install axe-core)")
    page.add_script_tag(path=str(AXE))
    return _serious(page)


# -- 导入 -----------------------------------------------------------------------------------------------------------
def _outcome_sheet(path: Path, tag: str) -> Path:
    """A staff workbook: a title line above the header, two outcomes, the first one again on a third line."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2026 年度科技成果汇总表"])
    sheet.append(["序号", "成果名称", "完成人", "完成单位", "年份", "成果类型", "摘要"])
    first = [1, f"寒区混凝土抗冻融外加剂{tag}", "李明、张华", "哈尔滨工业大学", 2024, "专利",
             "提高寒区混凝土抗冻融性能。"]  # fmt: skip
    sheet.append(first)
    sheet.append([2, f"林木病虫害遥感监测{tag}", "赵强", "东北林业大学", 2023, "论文", "无人机遥感监测林木病虫害。"])
    sheet.append([3, *first[1:]])
    book.save(path)
    return path


def test_the_import_preview_shows_every_field_the_header_row_and_duplicates_then_when_searchable(
    server: Server,  # noqa: F811
    size: str,
    tmp_path: Path,
) -> None:
    tag = "甲型" if size == "desktop" else "乙型"
    sheet = _outcome_sheet(tmp_path / "成果汇总.xlsx", tag)
    with signed_in(server[0], server[1], size) as page:
        page.select_option("#imp-kind", "outcomes")
        page.set_input_files("#imp-file", str(sheet))
        page.click("#imp-preview-go")
        page.wait_for_selector("#imp-map select[data-column='完成人']")
        page.wait_for_timeout(300)  # let a smooth scroll, if any, settle
        assert page.evaluate(IN_VIEW, "#need-head") and "导入 · 科技成果" in page.inner_text("#need-head")
        assert page.input_value("#imp-header-row") == ""  # 自动: the importer found the header itself
        assert "表头在第 2 行" in page.inner_text("#imp-preview")
        lines = page.locator(".sample li").all_inner_texts()
        assert len(lines) == 3, lines
        for said in (f"标题/名称：寒区混凝土抗冻融外加剂{tag}", "完成人/作者：李明、张华", "完成单位：哈尔滨工业大学",
                     "年份：2024", "类型：专利", "摘要：提高寒区混凝土抗冻融性能。"):  # fmt: skip
            assert said in lines[0], (said, lines[0])
        assert "类型：论文" in lines[1] and "完成人/作者：赵强" in lines[1]
        assert lines[2].startswith("第 5 行与第 3 行重复"), lines[2]  # the same record again: said, not listed
        assert not re.search(r"[A-Za-z]", page.inner_text(".sample")), page.inner_text(".sample")
        assert _latin_words(page) == set()
        _fits(page, size)
        # the header row chosen by hand: the title line is not a header, said in plain Chinese; back to the header
        page.fill("#imp-header-row", "1")
        page.dispatch_event("#imp-header-row", "change")
        page.wait_for_selector("#imp-preview .error")
        said = page.inner_text("#imp-preview .error")
        assert "表头" in said and "2026 年度科技成果汇总表" in said and not re.search(r"[A-Za-z]", said), said
        page.fill("#imp-header-row", "2")
        page.dispatch_event("#imp-header-row", "change")
        page.wait_for_selector("#imp-map select[data-column='完成人']")
        assert page.input_value("#imp-map select[data-column='完成人']") == "experts"
        page.evaluate("document.querySelector('.results').scrollIntoView()")
        assert _axe(page) == []
        _shot(page, "import-preview", size)
        page.click("#imp-go")
        page.wait_for_selector("#imp-summary:has-text('导入 2 条')", timeout=120_000)  # the repeated line: no record
        summary = page.inner_text("#imp-summary")
        assert "新建 2" in summary and "重复 1" in summary, summary
        # when the records are searchable: said at once, then followed until the live index has them
        page.wait_for_selector("#imp-live")
        assert "检索" in page.inner_text("#imp-live")
        page.wait_for_selector("#imp-live:has-text('现已可检索')", timeout=60_000)
        page.fill("#ask-title", f"寒区混凝土抗冻融外加剂{tag}")
        page.fill("#ask-text", "提高寒区混凝土抗冻融性能")
        page.click("#ask-try")
        page.click("#tabs button[data-level=outcome]")
        page.wait_for_selector(f"#hits .hit .name:has-text('寒区混凝土抗冻融外加剂{tag}')", state="attached")


def test_a_broken_file_is_named_as_the_staff_member_named_it(
    server: Server,  # noqa: F811
    size: str,
    tmp_path: Path,
) -> None:
    picture = tmp_path / "成果清单.xlsx"  # a picture saved under a workbook's name
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(256))
    with signed_in(server[0], server[1], size) as page:
        page.select_option("#imp-kind", "outcomes")
        page.set_input_files("#imp-file", str(picture))
        page.click("#imp-preview-go")
        page.wait_for_selector("#imp-preview .error")
        said = page.inner_text("#imp-preview .error")
    assert (
        "成果清单.xlsx" in said
        and "upload" not in said
        and not re.search(r"[A-Za-z]{4,}", said.replace("成果清单.xlsx", ""))
    ), said


def test_possible_duplicate_experts_are_listed_after_an_import_and_settled(
    server: Server,  # noqa: F811
    size: str,
    tmp_path: Path,
) -> None:
    name = "王芳" if size == "desktop" else "王芬"
    rows = f"姓名,单位,职称,电话\n{name},重庆大学,教授,13800000001\n{name},重庆大学,讲师,13800000002\n"
    sheet = tmp_path / "专家.csv"
    sheet.write_text(rows, encoding="utf-8")
    with signed_in(server[0], server[1], size) as page:
        page.select_option("#imp-kind", "experts")
        page.set_input_files("#imp-file", str(sheet))
        page.click("#imp-preview-go")
        page.wait_for_selector("#imp-go")
        page.click("#imp-go")
        page.wait_for_selector("#imp-summary:has-text('疑似重复 1')")
        item = page.locator("#imp-duplicates li").filter(has_text=f"{name}（重庆大学，教授）")
        item.wait_for()
        assert f"{name}（重庆大学，讲师）" in item.inner_text()
        _fits(page, size)
        item.locator("[data-act=reject]").click()
        page.wait_for_selector("#toast:has-text('已确认为两人')")
        page.wait_for_function(f"() => !document.querySelector('#imp-duplicates').innerText.includes('{name}')")


# -- 模型历史 ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def history_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small workspace with two model versions and three attempts: 第1版 retrained on 30 judgements (kept), a
    retrain refused (inverted grades), 第2版 made by a calibration outside the page (`matcher calibrate`)."""
    root = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as env:
        env.delenv("MATCHER_CALIBRATION", raising=False)  # the maps the retrain makes, not the suite's fake ones
        m = open_small(root / "ws")
        judge(m, judgements())
        assert retrain(m, name="v1", actor="王芳", grid=GRID).kept
        judge(m, judgements(inverted=True))
        assert retrain(m, name="bad", actor="王芳", grid=GRID).status == "refused"
        assert history.adopt(m.settings.workspace().models_dir, {}, {"source": "校准 qrels.tsv"})
        m.close()
    return root / "ws"


@pytest.fixture
def history_server(history_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.delenv("MATCHER_CALIBRATION", raising=False)
    shutil.copytree(history_base, tmp_path / "ws")
    settings = Settings(home=tmp_path / "ws", database_url=None, _env_file=None)  # type: ignore[call-arg]
    m = open_context(settings, embedder=FakeEmbedder())
    with m.session(write=True) as session:
        staff = create_key(session, name="李工", role="staff")[1]
        admin = create_key(session, name="张主任", role="admin")[1]
    with live_server(create_app(settings, matcher=m)) as url:
        yield url, staff, admin, m
    m.close()


def test_an_admin_reads_the_model_history_and_rolls_back_in_plain_chinese(history_server: Server, size: str) -> None:
    url, _, admin, m = history_server
    models = m.settings.workspace().models_dir
    second, first = (v["id"] for v in history.versions(models))
    made = {v["id"]: v for v in history.versions(models)}
    said: list[str] = []
    answers = [False, True]  # 取消 first, then 确定

    def answer(dialog) -> None:
        said.append(dialog.message)
        dialog.accept() if answers.pop(0) else dialog.dismiss()

    with signed_in(url, admin, size) as page:
        page.on("dialog", answer)
        page.click("#models-go")
        page.wait_for_selector("#hits .model-version")
        assert page.url.endswith("#models") and page.evaluate(IN_VIEW, "#need-head")
        cards = page.locator("#hits .model-version")
        assert cards.count() == 2
        newest, oldest = cards.nth(0).inner_text(), cards.nth(1).inner_text()
        assert "第2版" in newest and "当前使用" in newest and "管理员另行校准的匹配度" in newest, newest
        assert "第1版" in oldest and "依据 30 条判断（6 个需求）重新训练" in oldest, oldest
        v1 = made[first]
        figure = f"留出检验得分 {v1['cv']:.3f}，它替换的检索排序（当时没有排序模型）为 {v1['served_before']:.3f}"
        assert figure in oldest, oldest
        attempts = page.locator("#hits .attempts li").all_inner_texts()
        assert len(attempts) == 2, attempts  # newest first: the refused retrain, then the kept one
        assert attempts[0].startswith("重新训练：未启用，检查未通过") and "疑似评分颠倒" in attempts[0]
        assert attempts[1].startswith("重新训练：已启用第1版") and "王芳" in attempts[1]
        assert "依据 30 条判断（6 个需求）；留出检验得分：新模型" in attempts[1]
        text = page.inner_text("#hits")
        assert not VERSION_ID.search(text) and not re.search(r"[A-Za-z]", text), text  # no ids, model or field names
        assert _latin_words(page) == set()
        page.evaluate("labelSummary()")  # the 标注 card names the served version by what it was made from
        page.wait_for_selector("#label-count:has-text('当前模型')")
        assert "qrels" not in page.inner_text("#label-count")  # a file name a calibration was made from
        _fits(page, size)
        assert _axe(page) == []
        # 回退到此版本 on 第1版: asked in plain Chinese; 取消 changes nothing, 确定 serves it
        button = cards.nth(1).locator("button:has-text('回退到此版本')")
        assert cards.nth(0).locator("button").count() == 0  # the served one has none
        button.click()
        page.wait_for_timeout(500)
        assert history.pointed(models) == second and len(said) == 1
        button.click()
        page.wait_for_selector("#toast:has-text('已回退到第1版')")
        assert history.pointed(models) == first
        assert all("第1版" in s and not re.search(r"[A-Za-z]", s) and not VERSION_ID.search(s) for s in said), said
        page.wait_for_selector("#hits .model-version.served:has-text('第1版')")
        assert cards.nth(0).locator("button").inner_text() == "改用此版本"  # the newer one, now not served
        top = page.locator("#hits .attempts li").first.inner_text()
        assert top.startswith("回退：已改用第1版") and "此前使用第2版" in top and "张主任" in top, top
        page.evaluate("document.querySelector('.results').scrollIntoView()")
        _shot(page, "models", size)


def test_staff_see_no_model_buttons_and_an_admin_does(history_server: Server, size: str) -> None:
    url, staff, admin, _ = history_server
    with signed_in(url, staff, size) as page:
        page.wait_for_timeout(500)  # the admin check has answered
        assert page.locator("#models-go").is_hidden() and page.locator("#label-retrain").is_hidden()
        assert page.locator("#label-card button:visible").all_inner_texts() == ["开始标注"]
        page.goto(url + "/#models")  # a link an admin sent: refused in words, no version listed
        page.wait_for_selector("#hits .error")
        assert page.locator("#hits .model-version").count() == 0
        assert not re.search(r"[A-Za-z]", page.inner_text("#hits .error"))
    with signed_in(url, admin, size) as page:
        page.wait_for_selector("#models-go", state="visible")
        assert page.locator("#label-retrain").is_visible()
        page.click("#who button")  # signing out hides them again for the next key
        assert page.locator("#models-go").is_hidden()


# -- 我的跟进 and 统计报表 --------------------------------------------------------------------------------------------
def test_followups_and_the_report_at_both_sizes(server: Server, size: str) -> None:  # noqa: F811
    with signed_in(server[0], server[1], size) as page:
        page.click("#followups-go")
        page.wait_for_selector("#fu-within")
        page.wait_for_selector("#hits li:not(:has-text('正在读取'))")
        assert page.url.endswith("#followups") and page.evaluate(IN_VIEW, "#need-head")
        assert _latin_words(page) == set()
        _fits(page, size)
        page.goto(server[0] + "/#progress/2026-01-01/2026-12-31")  # a period sent as a link
        page.wait_for_selector("#rp-contracts")
        assert (page.input_value("#rp-from"), page.input_value("#rp-to")) == ("2026-01-01", "2026-12-31")
        assert "统计区间 2026-01-01 至 2026-12-31" in page.inner_text("#hits .report")
        assert page.locator(".barrow").count() == 7 and _latin_words(page) == set()
        _fits(page, size)
        page.fill("#rp-from", "2026-03-01")
        page.click("#rp-go")
        page.wait_for_url("**#progress/2026-03-01/2026-12-31")
        page.wait_for_selector("#hits .report:has-text('统计区间 2026-03-01')")
        assert _axe(page) == []


# -- 尚未校准 --------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def uncalibrated_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The small corpus served with 匹配度 maps for the outcome level only: experts and institutions have none."""
    root = tmp_path_factory.mktemp("uncalibrated")
    maps = {k: LevelMap([0.0, 1.0], [0.0, 1.0], "tests") for k in ("outcome:fused", "outcome:ranker")}
    Calibration(maps).save(root / "maps", embedder=FakeEmbedder.name, name="outcome maps only")
    m = open_small(root / "ws")
    m.close()
    settings = Settings(home=root / "ws", database_url=None, calibration=str(root / "maps"), _env_file=None)  # type: ignore[call-arg]
    m = open_context(settings, embedder=FakeEmbedder())
    with m.session(write=True) as session:
        staff = create_key(session, name="李工", role="staff")[1]
    with live_server(create_app(settings, matcher=m)) as url:
        yield url, staff, "", m
    m.close()


def test_a_withheld_match_degree_says_not_yet_calibrated(uncalibrated_server: Server, size: str) -> None:
    url, staff, *_ = uncalibrated_server
    with signed_in(url, staff, size) as page:
        page.click("#needs li[data-id] >> nth=0")
        page.wait_for_selector("#hits .hit .score")
        assert page.evaluate(IN_VIEW, "#need-head")
        notice = page.inner_text("#notice")
        assert "尚未校准" in notice and "按排序和理由" in notice, notice
        hits = page.locator("#hits > .hit")
        assert hits.count() >= 1
        for i in range(hits.count()):
            hit = hits.nth(i)
            assert hit.locator(".score").inner_text().strip() == "匹配度 尚未校准"
            assert hit.locator(".score .bar").count() == 0  # no bar standing for a number withheld
            assert hit.locator(".rank").inner_text().strip() == str(i + 1) and hit.locator(".why li").count() >= 1
        assert "匹配度 尚未校准" not in page.inner_text("#hits .evidence")  # the outcomes shown have their map
        _fits(page, size)
        assert _axe(page) == []
        page.click("#tabs button[data-level=outcome]")
        page.wait_for_selector("#hits .hit .score .bar")
        assert "尚未校准" not in page.inner_text("#hits")
