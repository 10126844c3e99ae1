"""The staff page's second pass (issue 46), walked at a desktop (1440×900) and a phone (390×844) in Debian's
chromium: answers open in view, the 标注 card reads in one column with keys for the visible pair only, dialogs in
plain Chinese, the map's words agree with its numbers, the batch counts read as one sentence, no Latin words."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from matcher.workspace.context import Context
from tests.api.test_browser import DOCS, _launch, server  # noqa: F401 (the module's server fixture, shared)

pytestmark = [pytest.mark.browser]
SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
Server = tuple[str, str, str, Context]

# the element's top is on the screen, below the sticky header
IN_VIEW = """sel => { const el = document.querySelector(sel); if (!el) return false;
  const r = el.getBoundingClientRect(), below = document.querySelector('header').getBoundingClientRect().bottom;
  return r.top >= below - 1 && r.top < window.innerHeight - 20; }"""
# does `word` inside the element break over two lines?
WRAPS = """([sel, word]) => { const el = document.querySelector(sel);
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) { const i = n.data.indexOf(word); if (i < 0) continue;
    const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + word.length);
    return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size > 1; }
  throw new Error('not found: ' + word); }"""


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def signed_in(url: str, key: str, size: str) -> Iterator:
    """A page at `size`, signed in with `key`, its need list shown; the browser closes after."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        context = browser.new_context(viewport=SIZES[size], locale="zh-CN", is_mobile=size == "phone",
                                      has_touch=size == "phone", accept_downloads=True)  # fmt: skip
        page = context.new_page()
        page.goto(url)
        page.fill("#key", key)
        page.click("#signin-form button")
        page.wait_for_selector("#needs li[data-id]")
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def page(server: Server, size: str) -> Iterator:  # noqa: F811
    url, key, *_ = server
    with signed_in(url, key, size) as page:
        yield page


def _shot(page, name: str, size: str) -> None:
    """MATCHER_SCREENSHOTS=1: the view as staff see it, into docs/screenshots/ (NAME.png, NAME-phone.png)."""
    if os.environ.get("MATCHER_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / f"{name}{'-phone' if size == 'phone' else ''}.png"), full_page=False)


def _away(page, selector: str) -> None:
    """Scroll the window so that `selector` is off the screen (to the end of the sidebar, or back to the top)."""
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    if page.evaluate(IN_VIEW, selector):
        page.evaluate("window.scrollTo(0, 0)")
    assert not page.evaluate(IN_VIEW, selector)


def _answer_in_view(page, first: str) -> None:
    page.wait_for_timeout(300)  # let a smooth scroll, if any, settle
    assert page.evaluate(IN_VIEW, "#need-head"), "the answer's head is off the screen"
    assert page.evaluate(IN_VIEW, first), f"{first} is off the screen"


def _finished_run(page) -> None:
    if not page.locator("#runs .st.done").count():
        page.click("#batch-start")
        page.wait_for_selector("#runs .st.done", timeout=120_000)


def test_every_view_opens_its_answer_in_view(page) -> None:
    _away(page, "#need-head")
    page.click("#needs li[data-id] >> nth=4")
    page.wait_for_selector("#hits .hit .score")
    _answer_in_view(page, "#hits .hit")
    _away(page, "#need-head")
    page.fill("#map-region", "黑龙江")
    page.click("#map-go")
    page.wait_for_selector("table.heat")
    _answer_in_view(page, "#need-head table.heat")
    _away(page, "#need-head")
    page.click("#label-go")
    page.wait_for_selector(".label-pair .grades button")
    _answer_in_view(page, ".label-pair")
    _finished_run(page)
    _away(page, "#need-head")
    page.click("#runs [data-run]")
    page.wait_for_selector("table.grid tr.proposal")
    _answer_in_view(page, "#hits .run-rows")


def test_a_key_grades_only_the_pair_on_the_screen(page) -> None:
    page.click("#label-go")
    page.wait_for_selector(".label-pair .grades button")
    page.wait_for_selector("#label-count:has-text('已标注')")
    count = page.inner_text("#label-count")
    shown = page.inner_text(".label-pair")
    _away(page, ".label-pair")
    page.keyboard.press("2")
    page.wait_for_selector("#toast:has-text('请先看清这一对')")
    page.wait_for_timeout(500)
    assert page.inner_text("#label-count") == count and page.inner_text(".label-pair") == shown  # nothing graded
    assert page.evaluate(IN_VIEW, ".label-pair")  # the pair shown instead
    page.keyboard.press("2")
    page.wait_for_function("t => document.querySelector('#label-count').innerText !== t", arg=count)
    page.wait_for_function("t => document.querySelector('.label-pair').innerText !== t", arg=shown)
    assert page.evaluate(IN_VIEW, ".label-pair")  # the next pair starts on the screen


def test_the_labelling_card_reads_in_one_column_with_buttons_to_tap(page, size: str) -> None:
    page.click("#label-go")
    page.wait_for_selector(".label-pair .grades button")
    box = page.evaluate("""() => { const c = document.querySelector('.label-pair'), s = getComputedStyle(c);
      return c.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }""")
    widths = page.eval_on_selector_all(
        ".label-pair section, .label-pair .t, .label-pair p, .label-pair .grades",
        "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect().width)",
    )
    assert widths and min(widths) >= 0.95 * box, (box, widths)  # need and outcome text use the card's width
    buttons = page.eval_on_selector_all(
        ".label-pair .grades button", "els => els.map(e => e.getBoundingClientRect()).map(r => [r.width, r.height])"
    )
    assert len(buttons) == 5 and all(w >= 44 and h >= 44 for w, h in buttons), buttons
    # reading order: the need, then the outcome, then the grades, on the screen as in the document
    tops = page.eval_on_selector_all(
        ".label-pair > section, .label-pair > .grades", "els => els.map(e => e.getBoundingClientRect().top)"
    )
    assert len(tops) == 3 and tops == sorted(tops)
    labels = page.eval_on_selector_all(".label-pair > section", "els => els.map(e => e.getAttribute('aria-label'))")
    assert labels == ["需求", "候选成果"]
    _shot(page, "label", size)


def test_a_step_back_asks_in_plain_chinese_and_an_excluded_one_comes_back(page, size: str) -> None:
    said: list[str] = []
    answers: list[str | bool] = []

    def answer(dialog) -> None:
        said.append(dialog.message)
        reply = answers.pop(0)
        if reply is False:
            dialog.dismiss()
        else:
            dialog.accept(reply if isinstance(reply, str) else "")

    page.on("dialog", answer)
    page.click(f"#needs li[data-id] >> nth={6 if size == 'desktop' else 7}")
    page.wait_for_selector("#hits .hit .actions button")
    first = page.locator("#hits > .hit").first
    name = first.locator(".name").evaluate("e => e.firstChild.textContent")
    first.locator("button[data-stage=signed]").click()
    page.wait_for_selector("#hits > .hit >> nth=0 >> .stage:has-text('已签约')")
    answers.append(False)  # 取消
    page.locator("#hits > .hit").first.locator("button[data-stage=contacted]").click()
    page.wait_for_timeout(800)
    assert len(said) == 1 and "已签约" in said[0] and "已联系" in said[0] and "更正" in said[0]
    assert not re.search(r"[A-Za-z]", said[0]), said[0]  # no field names
    assert page.locator("#toast").is_hidden() or "失败" not in page.inner_text("#toast")  # cancelled quietly
    assert "已签约" in page.locator("#hits > .hit").first.locator(".stage").inner_text()
    answers.append(True)
    page.locator("#hits > .hit").first.locator("button[data-stage=contacted]").click()
    page.wait_for_selector("#history li:has-text('更正为 已联系')")
    # 不合适, then back from 已排除 (recorded as a correction)
    answers.append("方向不符")
    page.locator("#hits > .hit").first.locator("button[data-stage=rejected]").click()
    page.wait_for_selector(".excluded summary")
    assert name not in [t.split("\n")[0] for t in page.locator("#hits > .hit .name").all_inner_texts()]
    page.click(".excluded summary")
    answers.append(True)
    page.click(f".excluded button[data-restore]:near(:text('{name}'))")
    page.wait_for_selector("#toast:has-text('已恢复')")
    page.wait_for_selector("#history li:has-text('更正为 推荐')")
    assert page.locator(".excluded").count() == 0
    assert any(t.startswith(name) for t in page.locator("#hits > .hit .name").all_inner_texts())
    page.locator("#history-card").scroll_into_view_if_needed()
    _shot(page, "correction", size)
    assert all(not re.search(r"[A-Za-z]", m) for m in said), said


def test_the_map_says_what_its_numbers_say_and_its_links_open_anywhere(
    page,
    server: Server,  # noqa: F811
    size: str,
) -> None:
    url = server[0]
    page.fill("#map-region", "黑龙江")
    page.click("#map-go")
    page.wait_for_selector("table.heat td.gapcell")
    links: list[tuple[str, str]] = []
    for i in range(min(3, page.locator("td.gapcell").count())):
        cell = page.locator("td.gapcell").nth(i)
        needs, outcomes = (int(x) for x in cell.inner_text().split("/"))
        cell.click()
        page.wait_for_selector(".gap-detail")
        words = page.inner_text(".gap-detail .gap-words")
        assert f"本地同类成果 {outcomes} 项" in words and f"不够 {needs} 条开放需求" in words, words
        for line in page.locator(".gap-detail .evidence li").all_inner_texts():
            assert "本地供给不足" not in line
            local, remote = re.search(r"本地 ([\d.]+|无)，外地 ([\d.]+|无)", line).groups()  # type: ignore[union-attr]
            if local != "无" and (remote == "无" or float(local) >= float(remote)):
                assert "最相近的成果在本地" in line and ("属其他主题" in line) == (outcomes == 0), line
            elif remote != "无":
                assert "最相近的成果在外地" in line, line
        for a in page.locator(".gap-detail a[data-need]").all():
            links.append((a.get_attribute("href") or "", a.inner_text()))
    assert links and all(href.startswith("#need/") for href, _ in links)
    context = page.context
    for href, title in links[:4]:  # each link, opened in a tab of its own: its need, every time
        tab = context.new_page()
        tab.goto(url + "/" + href)
        tab.wait_for_selector(f"#need-head .t:has-text('{title}')")
        tab.close()
    title = page.locator(".gap-detail a[data-need]").first.inner_text()
    with context.expect_page() as opened:  # a click with Ctrl: the browser's own new tab
        page.click(".gap-detail a[data-need] >> nth=0", modifiers=["Control"])
    opened.value.wait_for_selector(f"#need-head .t:has-text('{title}')")
    assert "技术图谱" in page.inner_text("#need-head")  # this tab stays on the map
    # the full report: a red cell moves to its gap inside the report; on a phone nothing is cut off
    with page.expect_popup() as popup:
        page.click("#map-report")
    report = popup.value
    frame = report.frame_locator(".report-frame iframe")
    frame.locator("svg.heat").first.wait_for()
    report.wait_for_timeout(300)
    before = report.evaluate("window.scrollY")
    frame.locator("svg.heat a").first.click()
    report.wait_for_timeout(500)
    assert frame.locator("#key").count() == 0 and frame.locator("svg.heat").count() == 1  # still the report
    gap_id = frame.locator("svg.heat a").first.get_attribute("href")[1:]
    top = report.evaluate(
        """id => { const f = document.querySelector('.report-frame iframe');
          const h = f.contentDocument.getElementById(id).querySelector('h3');  // the gap's heading, as a reader sees it
          return f.getBoundingClientRect().top + h.getBoundingClientRect().top; }""",
        gap_id,
    )
    below = report.evaluate("document.querySelector('header').getBoundingClientRect().bottom")
    assert report.evaluate("window.scrollY") > before and below <= top < SIZES[size]["height"]  # the gap in view
    inner = report.evaluate("""() => { const d = document.querySelector('.report-frame iframe').contentDocument;
      const heat = d.querySelector('.scroll'), s = getComputedStyle(heat);
      return [d.documentElement.scrollWidth, d.documentElement.clientWidth, s.overflowX]; }""")
    assert inner[0] <= inner[1] and inner[2] == "auto", inner  # the heat map scrolls in its box; nothing cut off
    assert report.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    if size == "phone":
        report.evaluate("document.querySelector('.results').scrollIntoView()")
        report.wait_for_timeout(300)
        _shot(report, "map-report", size)


def test_batch_counts_read_as_one_sentence(page) -> None:
    _finished_run(page)
    run = page.evaluate("async () => (await api('/batch-runs?limit=1'))[0]")
    stats = run["stats"]
    none = sum(1 for u in stats["unserved"] if not u["proposed"])
    few = len(stats["unserved"]) - none
    said = page.locator("#runs li").first.locator(".muted").inner_text()
    assert said.startswith(f"为 {stats['needs']} 个需求推荐 {stats['proposals']} 条；"), said
    assert "未满足" not in said
    if none:
        assert f"其中 {none} 个需求无合适人选" in said
    if few:
        assert f"{few} 个需求推荐不足 {run['params']['per_need']} 位" in said
    page.click("#runs [data-run]")
    page.wait_for_selector("#need-head .run-sentence")
    assert page.inner_text("#need-head .run-sentence").startswith(said.split(" 查看全部")[0].strip())


def test_no_latin_words_in_the_header_the_exports_or_the_placeholders(page, size: str) -> None:
    from openpyxl import load_workbook

    assert not re.search(r"[A-Za-z]", page.inner_text("header")), page.inner_text("header")
    assert not re.search(r"[A-Za-z]", page.title())
    page.fill("#map-region", "")
    with page.expect_download() as got:
        page.click("#map-xlsx")
    assert not re.search(r"[A-Za-z]", Path(got.value.suggested_filename).stem)
    book = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
    kinds = {r[6] for r in book["优势"].iter_rows(min_row=2, values_only=True)}
    assert kinds and kinds <= {"专利", "论文", "项目", "成果"}, kinds
    _finished_run(page)
    with page.expect_download() as run_book:
        page.click("#runs [data-export]")
    about = load_workbook(io.BytesIO(Path(run_book.value.path()).read_bytes()))["批次说明"]
    said = [str(v) for row in about.iter_rows(min_row=2, values_only=True) for v in row[1:] if v is not None]
    assert said and not any(re.fullmatch(r"[a-z_]+", v) for v in said), said  # "open" → 全部进行中需求
    # placeholders whole, words unbroken
    cut = page.evaluate("""() => [...document.querySelectorAll('input[placeholder]')].filter(e => e.offsetParent)
      .filter(e => { const v = e.value; e.value = e.placeholder; const over = e.scrollWidth > e.clientWidth + 1;
        e.value = v; return over; }).map(e => e.placeholder)""")
    assert cut == [], cut
    page.click("#needs li[data-id] >> nth=0")
    page.wait_for_selector("#need-head .facts")
    assert not page.evaluate(WRAPS, ["#need-head .facts", "进行中"])


def test_the_sign_in_button_reads_in_one_line(server: Server, size: str) -> None:  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=SIZES[size], locale="zh-CN", is_mobile=size == "phone")
        page.goto(server[0])
        assert not page.evaluate(WRAPS, ["#signin-form button", "登录"])
        browser.close()
