"""The 对接台账: engagements are the feedback history (one model), contracts move them to 已签约, follow-ups fall
due against a frozen day, and the progress report's numbers match hand counts for two quarters."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matcher.errors import ConflictError, InputError
from matcher.report.ledger import Scope
from matcher.report.progress import progress_report
from matcher.report.workbook import progress_html, progress_xlsx
from matcher.services import engagements as svc
from matcher.services.feedback import record_feedback
from matcher.services.judgements import judgement_counts, training_qrels
from matcher.store.tables import Engagement, Expert, Institution, Need
from matcher.workspace.context import Context

Q1 = Scope(date(2026, 1, 1), date(2026, 3, 31))
Q2 = Scope(date(2026, 4, 1), date(2026, 6, 30))


def _expert(session: Any, name: str) -> str:
    return str(session.scalar(select(Expert.id).where(Expert.name == name)))


def _ledger(m: Context) -> None:
    """Four engagements over two quarters (the module's tests count them by hand):
    A N1–周建国 (张敏): 推荐 01-12, 已联系 01-20, 已对接 02-01, 合作意向 03-01, contract 04-10 100 万元 技术开发
    B N1–重庆大学 (李强): 推荐 01-15, 不合适 02-10
    C N2–刘振宇 (李强): 推荐 02-20, 已联系 03-05, 不合适 04-02
    D N3–谭明 (张敏): 推荐 04-06, contract 05-20 50 万元 技术服务 (stages skipped)
    Needs collected: N1 01-10 (黑龙江), N2 02-15, N3 04-05 (黑龙江)."""
    with m.session(write=True) as s:
        s.add(Need(id="N3", title="焊接机器人改造", description="", region="黑龙江"))
        s.flush()
        for need_id, day in (("N1", date(2026, 1, 10)), ("N2", date(2026, 2, 15)), ("N3", date(2026, 4, 5))):
            s.scalar(select(Need).where(Need.id == need_id)).created_at = datetime.combine(day, datetime.min.time())
        cqu = str(s.scalar(select(Institution.id).where(Institution.name == "重庆大学")))
        a = svc.open_engagement(s, need_id="N1", level="expert", target_id="E1", actor="张敏", source="match",
                                on=date(2026, 1, 12))  # fmt: skip
        for stage, day in (("contacted", (1, 20)), ("meeting", (2, 1)), ("intention", (3, 1))):
            svc.move(s, engagement_id=a.pk, stage=stage, actor="张敏", on=date(2026, *day))
        svc.add_contract(s, engagement_id=a.pk, type="技术开发", actor="张敏", amount_wan=100.0,
                         signed_on=date(2026, 4, 10), registration_no="R-1", parties=["齐重", "沈铸所"])  # fmt: skip
        b = svc.open_engagement(s, need_id="N1", level="institution", target_id=cqu, actor="李强",
                                on=date(2026, 1, 15))  # fmt: skip
        svc.move(s, engagement_id=b.pk, stage="rejected", actor="李强", reason="方向不符", on=date(2026, 2, 10))
        c = svc.open_engagement(s, need_id="N2", level="expert", target_id=_expert(s, "刘振宇"), actor="李强",
                                on=date(2026, 2, 20))  # fmt: skip
        svc.move(s, engagement_id=c.pk, stage="contacted", actor="李强", on=date(2026, 3, 5))
        svc.move(s, engagement_id=c.pk, stage="rejected", actor="李强", reason="企业暂缓", on=date(2026, 4, 2))
        d = svc.open_engagement(s, need_id="N3", level="expert", target_id=_expert(s, "谭明"), actor="张敏",
                                on=date(2026, 4, 6))  # fmt: skip
        svc.add_contract(s, engagement_id=d.pk, type="技术服务", actor="张敏", amount_wan=50.0,
                         signed_on=date(2026, 5, 20))  # fmt: skip


def _counts(report: dict[str, Any]) -> dict[str, Any]:
    names = ("collected", "matched", "contacted", "met", "intention", "signed", "rejected", "contracts")
    return {n: report[n] for n in (*names, "contract_amount_wan")}


def test_the_report_counts_two_quarters_as_by_hand(loaded: Context) -> None:
    _ledger(loaded)
    with loaded.session() as s:
        q1, q2 = progress_report(s, scope=Q1), progress_report(s, scope=Q2)
        north = progress_report(s, scope=Scope(Q2.start, Q2.end, region="黑龙江"))
        mine = progress_report(s, scope=Scope(Q1.start, Q2.end, owner="李强"))
    assert _counts(q1) == {"collected": 2, "matched": 2, "contacted": 2, "met": 1, "intention": 1, "signed": 0,
                           "rejected": 0, "contracts": 0, "contract_amount_wan": 0}  # fmt: skip
    assert _counts(q2) == {"collected": 1, "matched": 1, "contacted": 1, "met": 1, "intention": 1, "signed": 2,
                           "rejected": 1, "contracts": 2, "contract_amount_wan": 150.0}  # fmt: skip
    # funnel: engagements reaching each stage, median days since the stage recorded before
    assert [(f["count"], f["median_days"]) for f in q1["funnel"]] == [(3, None), (2, 10.5), (1, 12.0), (1, 28.0),
                                                                      (0, None)]  # fmt: skip
    assert [(f["count"], f["median_days"]) for f in q2["funnel"]] == [(1, None), (1, None), (1, None), (1, None),
                                                                      (2, 42.0)]  # fmt: skip
    assert [(t["name"], t["contracts"], t["amount_wan"]) for t in q2["top_experts"]] == [("周建国", 1, 100.0),
                                                                                        ("谭明", 1, 50.0)]  # fmt: skip
    assert q2["contracts_by_type"] == {"技术开发": {"count": 1, "amount_wan": 100.0},
                                       "技术服务": {"count": 1, "amount_wan": 50.0}}  # fmt: skip
    assert (north["signed"], north["rejected"], north["contracts"], north["collected"]) == (2, 0, 2, 1)
    # 李强 kept B and C: N1 rejected by B only (A is not his), N2 by C; no contract
    assert (mine["matched"], mine["contacted"], mine["rejected"], mine["contracts"]) == (2, 1, 2, 0)
    assert {r["owner"]: (r["signed"], r["rejected"]) for r in q2["by_owner"]} == {"张敏": (2, 0), "李强": (0, 1)}


def test_the_workbook_and_the_printable_page_carry_the_numbers(loaded: Context) -> None:
    _ledger(loaded)
    with loaded.session() as s:
        report = progress_report(s, scope=Q2)
    book = load_workbook(io.BytesIO(progress_xlsx(report)))
    assert book.sheetnames == ["总览", "漏斗", "合同类型", "按地区", "按领域", "按负责人", "单位排行", "专家排行"]
    overview = {row[0]: row[1] for row in book["总览"].iter_rows(min_row=2, values_only=True)}
    assert overview["已签约"] == 2 and overview["合同金额（万元）"] == 150 and overview["不合适"] == 1
    experts = list(book["专家排行"].iter_rows(values_only=True))
    assert experts[0] == ("名次", "专家", "签约合同数", "合同金额（万元）") and experts[1] == (1, "周建国", 1, 100)
    regions = {row[0]: row for row in book["按地区"].iter_rows(min_row=2, values_only=True)}
    assert regions["黑龙江"][1] == 1 and regions["未填"][7] == 1  # collected (N3); rejected (N2)
    page = progress_html(report)
    assert "2026-04-01 至 2026-06-30" in page and "签约合同 <b>2</b> 项，合同金额 <b>150</b> 万元" in page


def test_feedback_is_the_engagement_history_and_teaches_the_ranker(loaded: Context) -> None:
    _ledger(loaded)
    with loaded.session(write=True) as s:
        record_feedback(s, need_id="N2", level="expert", target_id="E1", stage="contacted", reason=None, actor="王")
        opened = s.scalar(select(Engagement).where(Engagement.target_id == "E1", Engagement.need_pk ==
                                                   s.scalar(select(Need.pk).where(Need.id == "N2"))))  # fmt: skip
        assert opened is not None and (opened.stage, opened.source) == ("contacted", "feedback")
        taken = svc.open_engagement(s, need_id="N2", level="expert", target_id="E1", actor="王", owner="王")
        assert taken.pk == opened.pk and [f.stage for f in svc.history(s, engagement=taken)] == ["contacted"]
        with pytest.raises(ConflictError, match="已在对接台账"):
            svc.open_engagement(s, need_id="N2", level="expert", target_id="E1", actor="王")
        liu = _expert(s, "刘振宇")
        qrels = training_qrels(s, level="expert")
        counts = judgement_counts(s)
    assert qrels["N1"]["E1"] == 3 and qrels["N2"][liu] == 0 and qrels["N2"]["E1"] == 1
    # from the ledger: A signed (3), B 不合适 (0, institution level), C 不合适 (0), D signed (3), N2–E1 已联系 (1)
    assert counts["from_ledger"] == {"total": 5, "signed": 2, "rejected": 2}


def test_a_contract_is_checked_and_a_rejected_pair_needs_a_correction(loaded: Context) -> None:
    _ledger(loaded)
    with loaded.session(write=True) as s:
        b = s.scalar(select(Engagement).where(Engagement.level == "institution"))
        with pytest.raises(InputError, match="合同类型"):
            svc.add_contract(s, engagement_id=b.pk, type="买卖", actor="李强")
        with pytest.raises(ConflictError, match="更正"):
            svc.add_contract(s, engagement_id=b.pk, type="技术咨询", actor="李强")
        a = s.scalar(select(Engagement).where(Engagement.target_id == "E1"))
        with pytest.raises(ConflictError, match="R-1"):
            svc.add_contract(s, engagement_id=a.pk, type="技术咨询", actor="张敏", registration_no="R-1")


def test_followups_fall_due_against_a_frozen_day(loaded: Context) -> None:
    _ledger(loaded)
    with loaded.session(write=True) as s:
        rows = {e.target_id: e for e in s.scalars(select(Engagement))}
        a, c = rows["E1"], rows[_expert(s, "刘振宇")]
        d = rows[_expert(s, "谭明")]
        svc.update_engagement(
            s, engagement_id=a.pk, changes={"next_action": "催合同登记", "due_date": date(2026, 6, 1)}
        )
        svc.update_engagement(s, engagement_id=d.pk, changes={"next_action": "回访", "due_date": date(2026, 6, 12)})
        svc.update_engagement(s, engagement_id=c.pk, changes={"next_action": "再联系", "due_date": date(2026, 5, 1)})
        today = date(2026, 6, 5)
        due = [(f.engagement.pk, f.days, f.overdue) for f in svc.followups(s, today=today)]
        assert due == [(a.pk, -4, True), (d.pk, 7, False)]  # C is 不合适: never due
        assert [(f.engagement.pk, f.days) for f in svc.followups(s, today=today, within=6)] == [(a.pk, -4)]
        assert [(f.engagement.pk, f.days) for f in svc.followups(s, today=date(2026, 6, 6))] == [(a.pk, -5),
                                                                                                 (d.pk, 6)]  # fmt: skip
        assert svc.followups(s, today=today, owner="李强") == []


def test_the_migration_turns_existing_feedback_into_engagements(tmp_path: Any) -> None:
    """A database at 0006 with feedback on two pairs gets one engagement per pair, at the pair's latest stage."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from matcher.store.db import MIGRATIONS, make_engine, migrate

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
        connection.exec_driver_sql("INSERT INTO needs (pk, id, title, description, status, created_at, updated_at) "
                                   "VALUES (1, 'N', 't', '', 'open', '2026-01-01', '2026-01-01')")  # fmt: skip
        for pk, target, stage, day in ((1, "E", "contacted", "01-05"), (2, "F", "proposed", "01-06"),
                                       (3, "E", "meeting", "02-01")):  # fmt: skip
            connection.exec_driver_sql(
                "INSERT INTO feedback (pk, need_pk, level, target_id, stage, correction, created_by, created_at) "
                f"VALUES ({pk}, 1, 'expert', '{target}', '{stage}', 0, '王', '2026-{day} 09:00:00')"
            )
    migrate(make_engine(f"sqlite:///{tmp_path / 'old.db'}"))
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT target_id, stage, source, created_at FROM engagements ORDER BY target_id"
        ).all()
    assert [tuple(r[:3]) for r in rows] == [("E", "meeting", "feedback"), ("F", "proposed", "feedback")]
    assert str(rows[0][3]).startswith("2026-01-05")  # opened when its first stage was recorded


def test_a_plan_or_batch_source_must_name_what_proposed_the_pair(loaded: Context) -> None:
    from matcher.errors import NotFoundError

    with loaded.session(write=True) as s:
        with pytest.raises(NotFoundError, match="找不到计划"):
            svc.open_engagement(s, need_id="N1", level="expert", target_id="E1", actor="张敏", source="plan",
                                source_ref="P-none")  # fmt: skip
        with pytest.raises(NotFoundError, match="找不到批量推荐"):
            svc.open_engagement(s, need_id="N1", level="expert", target_id="E1", actor="张敏", source="batch",
                                source_ref="R-none")  # fmt: skip
        with pytest.raises(InputError, match="来源"):
            svc.open_engagement(s, need_id="N1", level="expert", target_id="E1", actor="张敏", source="mail")
