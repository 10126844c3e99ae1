"""A real browser (Playwright driving Debian's chromium) signs in, submits a need, sees ranked experts with
evidence, records feedback, and takes a screenshot. MATCHER_SCREENSHOTS=1 refreshes docs/screenshots/ from a
server using the real embedder (e5) and the shipped ranker, as staff would see it.

Without chromium this test fails with the command that installs it (`make browser`); `make test` runs that first."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import uvicorn

from api.app import create_app
from matcher.config import Settings
from matcher.map.build import MapParams, build_map
from matcher.services.users import create_key
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import FakeEmbedder

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
pytestmark = [pytest.mark.browser]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fake_maps: Path) -> Iterator[tuple[str, str, str, Context]]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `make browser` (apt-get install -y chromium fonts-noto-cjk)")
    tmp = tmp_path_factory.mktemp("browser")
    real = bool(os.environ.get("MATCHER_SCREENSHOTS"))
    # the 匹配度 maps made for the embedder served: the demo's own with e5 (as `matcher demo` installs them), the
    # suite's fake maps with the fake embedder (a module fixture is made before the autouse one sets them)
    maps = DEMO / "calibration" if real else fake_maps
    settings = Settings(home=tmp / "ws", calibration=str(maps), _env_file=None)  # type: ignore[call-arg]
    matcher = open_context(settings, embedder=None if real else FakeEmbedder())
    for kind in ("institutions", "experts", "outcomes", "needs"):
        data.import_file(matcher, kind, DEMO / f"{kind}.jsonl", rejects_path=tmp / f"{kind}.rejects")
    data.build_index(matcher)
    build_map(matcher, params=MapParams())
    with matcher.session(write=True) as session:
        key = create_key(session, name="browser-staff", role="staff")[1]
        admin = create_key(session, name="browser-admin", role="admin")[1]
    port = _free_port()
    config = uvicorn.Config(
        create_app(matcher.settings, matcher=matcher), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", key, admin, matcher
    srv.should_exit = True
    thread.join(timeout=10)
    matcher.close()


def test_staff_flow_in_a_real_browser(server: tuple[str, str, str, Context], tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, key, *_ = server
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = _signed_in(browser, url, key)
        page.fill("#ask-title", "机床铸件表面涂料开发")
        page.fill("#ask-text", "我公司生产机床床身铸件，希望合作开发复合锆英粉涂料，提高铸件表面光洁度，减少粘砂。")
        page.fill("#ask-org", "齐齐哈尔市重型铸造有限责任公司")
        page.click("#ask-save")
        page.wait_for_selector(".hit .evidence li")
        first = page.locator(".hit").first
        assert first.locator(".name").inner_text().strip()
        assert page.locator(".hit .evidence li").count() >= 1
        assert page.locator(".hit mark").count() >= 1  # matched terms highlighted
        first.locator("button[data-stage=contacted]").click()
        page.wait_for_selector("#history li:has-text('已联系')")
        assert "已联系" in first.locator(".stage").inner_text()
        shot = tmp_path / "staff-page.png"
        page.screenshot(path=str(shot), full_page=False)
        # the demo need: the off-topic experts fall below the weak line, folded away with their own reasons
        page.fill("#ask-title", "我公司生产铁路货车，需要水基铸造砂型涂料技术，提高铸件表面质量")
        page.click("#ask-try")
        page.wait_for_selector("#need-head:has-text('试匹配')")
        page.wait_for_selector(".hit .score", state="attached")
        if page.locator(".weak-group summary").count():
            page.click(".weak-group summary")
        weak_shot = tmp_path / "weak-line.png"
        page.evaluate("document.querySelector('header').style.position = 'static'")  # one header, on top
        page.screenshot(path=str(weak_shot), full_page=True)
        page.evaluate("document.querySelector('header').style.position = ''")
        # nightly batch: start a run, watch it finish, download the workbook, see a need's proposals
        page.click("#batch-start")
        page.wait_for_selector("#runs .st.done", timeout=60_000)
        with page.expect_download() as download:
            page.click("#runs [data-export]")
        assert download.value.suggested_filename.endswith(".xlsx")
        page.click("#runs [data-run]")  # the run's proposals across needs, filtered by a word
        page.wait_for_selector("table.grid tr.proposal")
        assert "#run/" in page.url and "批量运行" in page.inner_text("#need-head .t")
        total = page.locator("table.grid tr.proposal, table.grid tr.alternate, table.grid tr.left_out").count()
        expert = page.locator("table.grid tr.proposal td:nth-child(4)").first.inner_text().split()[0]
        page.fill("#run-filter", expert)
        shown = page.locator("table.grid tr.proposal, table.grid tr.alternate, table.grid tr.left_out")
        assert 1 <= shown.count() < total and all(expert in t for t in shown.all_inner_texts())
        page.select_option("#run-role", "alternate")
        assert all(r.get_attribute("class") == "alternate" for r in shown.all())
        page.fill("#run-filter", "")
        page.select_option("#run-role", "proposal")
        run_shot = tmp_path / "run.png"
        page.screenshot(path=str(run_shot), full_page=False)
        page.reload()
        page.wait_for_selector("table.grid tr.proposal")
        page.click("#needs li[data-id]:not(.active) >> nth=0")
        page.wait_for_selector("#batch-card:has-text('推荐：')")
        assert page.locator("#batch-card .proposal").count() >= 1
        batch_shot = tmp_path / "batch.png"
        page.screenshot(path=str(batch_shot), full_page=False)
        # 成果找企业: an outcome finds open needs; a decision on one is recorded for that need × outcome
        page.fill("#rev-value", "DEMO-m001")
        page.click("#rev-go")
        page.wait_for_selector("#need-head:has-text('成果找企业')")
        page.wait_for_selector(".hit .evidence li")
        first_need = page.locator(".hit").first
        first_need.locator("button[data-stage=contacted]").click()
        page.wait_for_selector(".hit .stage:has-text('已联系')")
        reverse_shot = tmp_path / "reverse.png"
        page.screenshot(path=str(reverse_shot), full_page=False)
        page.select_option("#rev-target", "enterprises")
        page.click("#rev-go")
        page.wait_for_selector(".hit:has-text('相关需求')")
        # 对接会: pairings for a region, then a stored visit plan with its agenda workbook
        page.fill("#plan-region", "黑龙江")
        page.click("#pairings-go")
        page.wait_for_selector(".hit:has-text('→')")
        page.fill("#plan-to", "辽宁")
        page.fill("#plan-k", "2")
        page.click("#plan-go")
        page.wait_for_selector("#need-head:has-text('走访计划 · 黑龙江 → 辽宁')")
        assert page.locator(".hit").count() == 2
        with page.expect_download() as agenda:
            page.click("#plan-export")
        assert agenda.value.suggested_filename.endswith(".xlsx")
        plan_shot = tmp_path / "plan.png"
        page.screenshot(path=str(plan_shot), full_page=False)
        # 技术图谱: the heatmap for a region; a gap cell lists its needs, a need opens the match view
        page.fill("#map-region", "黑龙江")
        page.click("#map-go")
        page.wait_for_selector("table.heat td.gapcell")
        page.click("table.heat td.gapcell >> nth=0")
        page.wait_for_selector(".gap-detail a[data-need]")
        map_shot = tmp_path / "map.png"
        page.screenshot(path=str(map_shot), full_page=False)
        with page.expect_download() as workbook:
            page.click("#map-xlsx")
        assert workbook.value.suggested_filename == "技术图谱.xlsx"
        with page.expect_popup() as popup:
            page.click("#map-report")
        report = popup.value  # a tab of the page at a link that lasts, already signed in
        report.wait_for_selector("#need-head:has-text('技术图谱报告 · 黑龙江')")
        report.frame_locator(".report-frame iframe").locator("svg.heat").first.wait_for()
        assert unquote(report.url).endswith("#report/黑龙江/")
        report.reload()  # bookmarked or sent on: the same report
        report.frame_locator(".report-frame iframe").locator("svg.heat").first.wait_for()
        report_shot = tmp_path / "map-report.png"
        report.set_viewport_size({"width": 1300, "height": 1400})
        report.screenshot(path=str(report_shot), full_page=False)
        need_title = page.locator(".gap-detail a[data-need]").first.inner_text()
        page.click(".gap-detail a[data-need] >> nth=0")
        page.wait_for_selector(f"#need-head .t:has-text('{need_title}')")
        page.wait_for_selector(".hit .evidence li", state="attached")  # 弱匹配 hits may be folded away
        browser.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("MATCHER_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, DOCS / "staff-page.png")
        shutil.copy(batch_shot, DOCS / "batch.png")
        shutil.copy(reverse_shot, DOCS / "reverse.png")
        shutil.copy(plan_shot, DOCS / "plan.png")
        shutil.copy(map_shot, DOCS / "map.png")
        shutil.copy(report_shot, DOCS / "map-report.png")
        shutil.copy(run_shot, DOCS / "batch-run.png")
        shutil.copy(weak_shot, DOCS / "weak-line.png")


def _launch(p):  # type: ignore[no-untyped-def]
    return p.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--no-first-run", "--disable-sync"],
    )  # fmt: skip


def _signed_in(browser, url: str, key: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page.goto(url)
    page.fill("#key", key)
    page.click("#signin-form button")
    page.wait_for_selector("#needs li[data-id]")
    return page


def test_the_import_card_maps_a_column_by_hand_and_imports(
    server: tuple[str, str, str, Context], tmp_path: Path
) -> None:
    """A staff sheet with Chinese headers: the card guesses the map, shows the first rows, the staff member maps the
    one column it could not place (承担企业 → 企业/单位), imports, and the need lists with its enterprise."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.test_staff_files import xlsx

    url, key, *_ = server
    row = [1, "冷轧板表面缺陷在线检测", "需要机器视觉在线检测冷轧板表面缺陷。", "鞍钢冷轧厂", "辽宁省"]
    sheet = xlsx(tmp_path / "需求征集.xlsx", ["序号", "需求名称", "需求描述", "承担企业", "所在地区"], [row])
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = _signed_in(browser, url, key)
        page.select_option("#imp-kind", "needs")
        page.set_input_files("#imp-file", str(sheet))
        page.click("#imp-preview-go")
        page.wait_for_selector("#imp-map select[data-column='承担企业']")
        assert page.locator("#imp-map select[data-column='需求名称']").input_value() == "title"
        assert page.locator("#imp-map select[data-column='承担企业']").input_value() == "-"
        sample = page.locator(".sample").inner_text()  # every mapped field of the first row, in Chinese
        assert "冷轧板表面缺陷在线检测" in sample and "地区：辽宁" in sample and "状态：进行中" in sample
        page.select_option("#imp-map select[data-column='承担企业']", "organization")
        page.wait_for_selector(".sample:has-text('鞍钢冷轧厂')")
        page.click("#imp-go")
        page.wait_for_selector("#imp-summary:has-text('导入 1 条')")
        page.fill("#needs-q", "冷轧板")
        page.wait_for_selector("#needs li:has-text('鞍钢冷轧厂')")
        browser.close()


def test_labelling_ten_pairs_with_the_keyboard_then_retraining(server: tuple[str, str, str, Context]) -> None:
    """The 标注 view: ten pairs judged with the keys 0–3 and S (skip), the count following each; an admin retrains
    from the workspace's judgements (the demo's 335 imported beforehand, as `matcher judgements import` would)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from matcher.ranking.qrels import read_qrels
    from matcher.services.judgements import import_judgements, judgement_counts

    url, _, admin, matcher = server
    with matcher.session(write=True) as session:
        import_judgements(session, read_qrels(DEMO / "qrels.tsv"), level="outcome", actor="t", source="qrels.tsv")
        before = judgement_counts(session)
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = _signed_in(browser, url, admin)
        page.click("#label-go")
        page.wait_for_selector(".label-pair .grades button")
        keys = ["3", "2", "1", "0", "S", "2", "3", "0", "1", "2"]
        for i, key in enumerate(keys, 1):
            shown = page.locator(".label-pair").inner_text()
            page.keyboard.press(key)
            judged = before["judged"] + sum(k != "S" for k in keys[:i])
            page.wait_for_selector(f"#label-count:has-text('已标注 {judged} 对')")
            page.wait_for_function("t => document.querySelector('.label-pair').innerText !== t", arg=shown)
        page.click("#label-retrain")
        page.wait_for_selector("#toast:has-text('条判断')", timeout=300_000)
        said = page.locator("#toast").inner_text()
        browser.close()
    with matcher.session() as session:
        after = judgement_counts(session)
    assert (after["judged"], after["skipped"]) == (before["judged"] + 9, before["skipped"] + 1)
    assert re.search(r"基于 \d+ 条判断（\d+ 个需求），交叉验证排序得分 新模型 0\.\d{4}", said), said
    assert said.startswith(("已启用新模型", "新模型未胜出")), said


AXE = Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# Latin words a staff member may meet in the page's own words (not in the data it shows): product and format names
ALLOWED_LATIN = {"Excel", "CSV", "Word", "RIS", "EndNote", "XLSX", "xlsx", "xls", "csv", "jsonl", "ris",
                 "txt", "docx", "zip", "Bearer", "UTC", "S"}  # fmt: skip
CHROME = "button, h1, h2, h3, label, summary, .muted, .notice, .error, #toast, .stage, .sub, th:not(.topic), .brand"


def _latin_words(page) -> set[str]:  # type: ignore[no-untyped-def]
    """Latin words in the page's own visible words: buttons, headings, notes, errors, placeholders (ids with digits
    and the data's titles are not the page's words)."""
    import re

    texts = page.eval_on_selector_all(
        CHROME, "els => els.filter(e => e.offsetParent !== null || e.id === 'toast').map(e => e.innerText)"
    )
    texts += page.eval_on_selector_all("input, textarea", "els => els.map(e => e.placeholder)")
    words = {w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z0-9_-]*", t or "")}
    return {w for w in words if w not in ALLOWED_LATIN and not re.search(r"\d", w)}


def test_the_page_speaks_chinese_in_every_view(server: tuple[str, str, str, Context]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, key, *_ = server
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="en-US")  # not the browser's words
        page.goto(url)
        page.click("#signin-form button")  # empty key: the page's own message, not the browser's
        assert _latin_words(page) == set(), "sign-in"
        page.fill("#key", "mk_wrong")
        page.click("#signin-form button")
        page.wait_for_selector("#signin-error:has-text('密钥')")
        assert _latin_words(page) == set(), "bad key"
        page.fill("#key", key)
        page.click("#signin-form button")
        page.wait_for_selector("#needs li[data-id]")
        page.click("#ask-save")  # no title
        page.wait_for_selector("#toast:has-text('请填写需求标题')")
        seen = {"empty form": _latin_words(page)}
        page.click("#needs li[data-id] >> nth=0")
        page.wait_for_selector(".hit .evidence li")
        seen["need"] = _latin_words(page)
        page.fill("#rev-value", "不存在的成果")
        page.click("#rev-go")
        page.wait_for_selector("#need-head:has-text('没有名称包含')")
        seen["reverse, unknown name"] = _latin_words(page)
        page.fill("#plan-region", "不存在的地区")
        page.click("#plan-go")
        page.wait_for_selector("#hits .error")
        seen["plan, no needs"] = _latin_words(page)
        page.fill("#map-region", "黑龙江")
        page.click("#map-go")
        page.wait_for_selector("table.heat")
        seen["map"] = _latin_words(page)
        page.click("#label-go")
        page.wait_for_selector(".label-pair")
        seen["label"] = _latin_words(page)
        browser.close()
    assert {view: words for view, words in seen.items() if words} == {}


def test_links_survive_refresh_back_and_a_new_tab(server: tuple[str, str, str, Context]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, key, *_ = server
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        page = context.new_page()
        page.goto(url)
        page.fill("#key", key)
        page.click("#signin-form button")
        page.wait_for_selector("#needs li[data-id]")
        need_id = page.get_attribute("#needs li[data-id] >> nth=1", "data-id")
        page.click("#needs li[data-id] >> nth=1")
        page.wait_for_selector(".hit .evidence li")
        assert page.url.endswith(f"#need/{need_id}/expert")
        title = page.inner_text("#need-head .t")
        page.click("#tabs button[data-level=institution]")
        page.wait_for_url(f"**#need/{need_id}/institution")
        page.reload()
        page.wait_for_selector(f"#need-head .t:has-text('{title}')")
        assert page.get_attribute("#tabs button.active", "data-level") == "institution"
        page.go_back()
        page.wait_for_function("() => document.querySelector('#tabs button.active').dataset.level === 'expert'")
        page.fill("#map-region", "黑龙江")
        page.click("#map-go")
        page.wait_for_selector("table.heat")
        other = context.new_page()  # a colleague's link, opened in a new tab: no second sign-in
        other.goto(page.url)
        other.wait_for_selector("table.heat")
        assert "技术图谱 · 黑龙江" in other.inner_text("#need-head")
        other.goto(f"{url}/#need/{need_id}/outcome")
        other.wait_for_selector(f"#need-head .t:has-text('{title}')")
        assert other.get_attribute("#tabs button.active", "data-level") == "outcome"
        browser.close()


def test_saving_a_need_twice_keeps_one_and_clears_the_form(server: tuple[str, str, str, Context]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from sqlalchemy import func, select

    from matcher.store.tables import Need

    url, key, _, matcher = server
    with matcher.session() as session:
        before = session.scalar(select(func.count()).select_from(Need))
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = _signed_in(browser, url, key)
        page.fill("#ask-title", "陶瓷轴承套圈磨削烧伤检测")
        page.fill("#ask-text", "希望在线检测轴承套圈磨削烧伤，替代酸洗抽检。")
        page.dblclick("#ask-save")
        page.wait_for_selector("#need-head .t:has-text('陶瓷轴承套圈磨削烧伤检测')")
        assert page.input_value("#ask-title") == "" and page.input_value("#ask-text") == ""
        page.once("dialog", lambda d: d.accept())
        page.click("#need-close")
        page.wait_for_selector("#need-head:has-text('已关闭')")
        assert page.locator(".hit .actions button").count() == 0  # a closed need takes no feedback
        browser.close()
    with matcher.session() as session:
        assert session.scalar(select(func.count()).select_from(Need)) == before + 1


def test_the_page_works_on_a_phone(server: tuple[str, str, str, Context]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, key, *_ = server
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
        page.goto(url)
        page.fill("#key", key)
        page.click("#signin-form button")
        page.wait_for_selector("#needs li[data-id]")
        page.fill("#map-region", "黑龙江")
        page.click("#map-go")
        page.wait_for_selector("table.heat")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the map scrolls inside its card
        page.fill("#plan-region", "黑龙江")
        page.click("#plan-go")  # reachable and tappable
        page.wait_for_selector("#need-head:has-text('走访计划')")
        page.fill("#ask-title", "机床铸件表面涂料开发")
        page.click("#ask-try")
        page.wait_for_selector(".hit .evidence li")
        top = page.evaluate("document.querySelector('.results').getBoundingClientRect().top")
        assert 0 <= top < 120  # the answer starts at the top of the screen, not below the sidebar
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        if os.environ.get("MATCHER_SCREENSHOTS"):
            page.screenshot(path=str(DOCS / "phone.png"), full_page=False)
        browser.close()


def test_no_serious_accessibility_violations(server: tuple[str, str, str, Context]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make browser` (npm install axe-core)")
    url, key, *_ = server
    found = {}
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        page.goto(url)
        page.add_script_tag(path=str(AXE))
        found["sign-in"] = _serious(page)
        page.fill("#key", key)
        page.click("#signin-form button")
        page.wait_for_selector("#needs li[data-id]")
        page.click("#needs li[data-id] >> nth=0")
        page.wait_for_selector(".hit .evidence li")
        found["need"] = _serious(page)
        page.click("#label-go")
        page.wait_for_selector(".label-pair .grades button")
        found["label"] = _serious(page)
        page.set_viewport_size({"width": 390, "height": 844})
        found["label, phone"] = _serious(page)
        browser.close()
    assert {view: v for view, v in found.items() if v} == {}


def _serious(page) -> list[str]:  # type: ignore[no-untyped-def]
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    return [f"{v['id']}: {v['nodes'][0]['target']}" for v in serious]


def test_an_expert_is_found_by_name_with_a_pick_list(server: tuple[str, str, str, Context]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, key, *_ = server
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = _signed_in(browser, url, key)
        page.select_option("#rev-kind", "expert")
        page.fill("#rev-value", "周建国")  # one expert of that name: straight to the matches
        page.click("#rev-go")
        page.wait_for_selector("#need-head:has-text('成果找企业 · 专家 周建国')")
        page.wait_for_selector(".hit .evidence li")
        assert "#rev/expert/X" in page.url  # the link holds the expert found, so it reopens the same one
        page.fill("#rev-value", "王")  # several: a pick list of names with their institutions
        page.click("#rev-go")
        page.wait_for_selector("#need-head:has-text('请选择')")
        picks = page.locator("#hits .pick")
        names = picks.locator(".name").evaluate_all("els => els.map((e) => e.firstChild.textContent)")
        assert sorted(names) == ["王丽娟", "王祥生", "王秀芳", "王立新"]  # the demo's experts named 王…
        picks.filter(has_text="王秀芳").locator("button").click()
        page.wait_for_selector("#need-head:has-text('成果找企业 · 专家 王秀芳')")
        browser.close()


def test_a_delegation_is_planned_and_saved_plans_are_listed(server: tuple[str, str, str, Context]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, key, *_ = server
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = _signed_in(browser, url, key)
        page.fill("#plan-region", "黑龙江")
        page.fill("#plan-k", "2")
        page.click("#delegation-go")
        page.wait_for_selector("#need-head:has-text('专家团 · 黑龙江')")
        assert 1 <= page.locator("#hits .hit").count() <= 2 and "派出专家" in page.inner_text("#hits")
        plan_url = page.url
        page.click("#plans-go")
        page.wait_for_selector("#need-head:has-text('已保存的计划')")
        assert page.url.endswith("#plans")
        page.click("#hits a:has-text('专家团 · 黑龙江') >> nth=0")
        page.wait_for_selector("#need-head:has-text('专家团 · 黑龙江')")
        assert page.url == plan_url  # the newest plan first: the one just made
        page.reload()
        page.wait_for_selector("#need-head:has-text('专家团 · 黑龙江')")
        browser.close()


def test_a_late_answer_never_paints_over_the_newer_view(server: tuple[str, str, str, Context]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, key, *_ = server
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = _signed_in(browser, url, key)
        held = []  # the plan's answer is held back until the staff member has moved on
        page.route("**/plans", lambda r: held.append(r) if r.request.method == "POST" else r.continue_())
        page.fill("#plan-region", "黑龙江")
        page.click("#plan-go")
        page.wait_for_selector("#need-head:has-text('走访计划')")
        while not held:
            page.wait_for_timeout(50)
        page.fill("#ask-title", "机床铸件表面涂料开发")
        page.click("#ask-try")
        page.wait_for_selector("#need-head:has-text('试匹配')")
        page.wait_for_selector(".hit .score")
        held[0].continue_()
        page.wait_for_selector("#toast:has-text('已保存')")  # the plan is saved and said so, not shown
        assert "试匹配" in page.inner_text("#need-head") and page.locator(".hit .score").count() >= 1
        browser.close()


def test_a_pairing_is_followed_up_to_a_signed_contract_and_counted(server: tuple[str, str, str, Context]) -> None:
    """我的跟进 lists the overdue pair; one click moves it to 合作意向 (with the next action), 登记合同 signs it, and
    统计报表 counts the contract — every view in Chinese."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from datetime import date, timedelta

    from sqlalchemy import update

    from matcher.store.tables import Engagement

    url, key, _, matcher = server
    answers: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = _signed_in(browser, url, key)
        page.on("dialog", lambda dialog: dialog.accept(answers.pop(0)) if answers else dialog.dismiss())
        page.click("#needs li[data-id] >> nth=1")
        page.wait_for_selector(".hit .evidence li")
        expert = page.locator(".hit .name").first.evaluate("e => e.firstChild.textContent").strip()
        title = page.inner_text("#need-head .t").strip()
        page.locator(".hit").first.locator("button[data-stage=contacted]").click()
        page.wait_for_selector("#history li:has-text('已联系')")
        with matcher.session(write=True) as session:  # the engagement the click opened falls due
            mine = update(Engagement).where(Engagement.owner == "browser-staff", Engagement.stage == "contacted")
            session.execute(mine.values(due_date=date.today() - timedelta(days=2)))
        page.click("#followups-go")
        card = page.locator(".hit.followup.overdue").filter(has_text=title).filter(has_text=expert)
        card.wait_for()
        assert "逾期 2 天" in card.inner_text() and "#followups" in page.url
        seen = {"followups": _latin_words(page) - {"browser-staff"}}  # the owner: a user's name, data
        answers.extend(["约企业签合同", (date.today() + timedelta(days=3)).isoformat()])
        card.locator("button[data-move=intention]").click()
        page.wait_for_selector("#toast:has-text('已记录：合作意向')")
        card = page.locator(".hit.followup").filter(has_text=title).filter(has_text=expert)
        card.wait_for()
        assert "3 天后到期" in card.inner_text() and "约企业签合同" in card.inner_text()
        answers.extend(["技术开发", "50", date.today().isoformat(), "2026-HLJ-001"])
        card.locator("button[data-contract]").click()
        page.wait_for_selector("#toast:has-text('合同已登记')")
        page.click("#report-go")
        page.wait_for_selector("#rp-contracts")
        assert page.inner_text("#rp-contracts") == "1" and page.inner_text("#rp-amount") == "50"
        assert page.locator(".barrow").count() >= 7 and "#progress/" in page.url
        seen["report"] = _latin_words(page)
        browser.close()
    assert {view: words for view, words in seen.items() if words} == {}
