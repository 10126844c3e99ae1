"""A finished batch run and a stored plan are records: deleting the people or institutions they name leaves them
readable and exportable exactly as they were."""

from __future__ import annotations

from matcher.assign import BatchParams, execute, start_run
from matcher.assign.runs import get_run
from matcher.export.batch import proposals, render
from matcher.export.plans import plan_bytes
from matcher.plan import service
from matcher.services.catalog import delete_item
from matcher.workspace.context import Context


def test_deleting_people_and_institutions_leaves_a_finished_run_and_a_plan_as_they_were(demo: Context) -> None:
    run_id = start_run(demo, BatchParams(per_need=2, alternates=1))
    execute(demo, run_id)
    request = service.PlanRequest("delegation", 2, region="辽宁", min_degree=0.0)
    plan = service.make(demo, request)
    with demo.session(write=True) as session:
        record = service.save_plan(session, request=request, plan=plan, actor="test")
    with demo.session() as session:
        before = proposals(session, get_run(session, run_id=run_id))
        csv_before = render(session, run_id=run_id, fmt="csv")
        agenda_before = plan_bytes(service.plan_of(service.get_plan(session, plan_id=record.id)), "csv", {})
    expert_id = before[0]["expert_id"]
    institution = next(r["institution"] for r in before if r["institution"] and r["expert_id"] != expert_id)
    inst_id = next(s.id for s in plan.stops)  # an expert the plan sends
    with demo.session(write=True) as session:
        delete_item(session, kind="experts", item_id=expert_id)
        delete_item(session, kind="experts", item_id=inst_id)
        from matcher.store.resolve import InstitutionResolver

        row = InstitutionResolver(session).get(institution)
        assert row is not None
        delete_item(session, kind="institutions", item_id=row.id)
    with demo.session() as session:
        after = proposals(session, get_run(session, run_id=run_id))
        stats = get_run(session, run_id=run_id).stats
        assert after == before and len(after) == stats["proposals"] + stats["alternates"] + stats["left_out"]
        assert render(session, run_id=run_id, fmt="csv") == csv_before
        agenda = plan_bytes(service.plan_of(service.get_plan(session, plan_id=record.id)), "csv", {})
    assert agenda == agenda_before
