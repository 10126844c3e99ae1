"""The exclusion list of batch runs: experts never proposed for a need or an organisation."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import SessionDep, Staff, Viewer, audited
from api.schemas.batch import ExclusionCreate, ExclusionPublic
from api.schemas.common import RecordNumber
from matcher.assign.exclusions import add_exclusion, describe, list_exclusions, remove_exclusion

router = APIRouter(prefix="/exclusions", tags=["batch"])


@router.get("", response_model=list[ExclusionPublic], summary="The exclusion list")
def listing(session: SessionDep, caller: Viewer) -> list[ExclusionPublic]:
    return [ExclusionPublic.model_validate(describe(session, row)) for row in list_exclusions(session)]


@router.post("", response_model=ExclusionPublic, status_code=status.HTTP_201_CREATED, summary="Exclude an expert")
def create(body: ExclusionCreate, session: SessionDep, caller: Staff) -> ExclusionPublic:
    row = add_exclusion(
        session, expert_id=body.expert_id, need_id=body.need_id, organization=body.organization, reason=body.reason
    )
    audited(session, caller, "exclude", f"exclusions/{row.pk}", expert=body.expert_id)
    return ExclusionPublic.model_validate(describe(session, row))


@router.delete("/{exclusion_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove an exclusion")
def delete(exclusion_id: RecordNumber, session: SessionDep, caller: Staff) -> Response:
    remove_exclusion(session, pk=exclusion_id)
    audited(session, caller, "unexclude", f"exclusions/{exclusion_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
