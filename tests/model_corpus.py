"""A tiny corpus a ranker and its 匹配度 maps can be fitted on in seconds: six topics, three outcomes and one need
each. A topic's three outcomes read alike (retrieval cannot order them) and differ in year: staff grade the newest
3 and the older ones 0, as they grade two other topics' outcomes — a ranker can learn what fused retrieval
cannot see, and the judgements agree with retrieval where it tells them apart."""

from __future__ import annotations

from pathlib import Path

from matcher.config import Settings
from matcher.services import judgements as svc
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import FakeEmbedder, write_jsonl

TOPICS = [
    ("铸造涂料", "锆英粉铸造涂料提高铸件表面光洁度", "沈阳铸造研究所"),
    ("电池预警", "动力电池热失控预警与荷电状态估计", "重庆大学"),
    ("焊接机器人", "激光焊缝跟踪与离线编程焊接机器人", "新松机器人"),
    ("污水处理", "工业污水生物膜处理与膜分离回用", "同济大学"),
    ("光伏组件", "高效光伏组件封装与电池片减反射涂层", "浙江大学"),
    ("中药提取", "中药有效成分超临界萃取与纯化工艺", "中国药科大学"),
]
SUFFIXES = ["甲型", "乙型", "丙型"]
YEARS = [2008, 2012, 2024]  # the newest last: retrieval's ties keep the stored order, so it is ranked last


def outcomes() -> list[dict]:
    rows = []
    for t, (topic, text, inst) in enumerate(TOPICS):
        for s, suffix in enumerate(SUFFIXES):
            rows.append({"id": f"O{t}{s}", "kind": "patent", "title": f"{topic}{suffix}", "abstract": text,
                         "year": YEARS[s], "institution": inst,
                         "experts": [{"id": f"E{t}", "name": f"专家{t}", "institution": inst}]})  # fmt: skip
    return rows


def needs() -> list[dict]:
    return [{"id": f"N{t}", "title": f"寻求{topic}技术", "description": f"需要{text}。"}
            for t, (topic, text, _) in enumerate(TOPICS)]  # fmt: skip


def judgements(inverted: bool = False) -> dict[str, dict[str, int]]:
    """Each need: its topic's newest outcome 3, its older ones and the next two topics' newest 0 (`inverted`:
    3 − g)."""
    n = len(TOPICS)
    found = {}
    for t in range(n):
        graded = {f"O{t}2": 3, f"O{t}1": 0, f"O{t}0": 0, f"O{(t + 1) % n}2": 0, f"O{(t + 2) % n}2": 0}
        found[f"N{t}"] = {o: 3 - g if inverted else g for o, g in graded.items()}
    return found


def open_small(home: Path) -> Context:
    settings = Settings(home=home, database_url=None, _env_file=None)  # type: ignore[call-arg]
    m = open_context(settings, embedder=FakeEmbedder())
    data.import_file(m, "outcomes", write_jsonl(home.parent / "o.jsonl", outcomes()))
    data.import_file(m, "needs", write_jsonl(home.parent / "n.jsonl", needs()))
    data.build_index(m)
    return m


def judge(m: Context, qrels: dict[str, dict[str, int]]) -> None:
    with m.session(write=True) as session:
        svc.import_judgements(session, qrels, level="outcome", actor="王芳", source="test")
