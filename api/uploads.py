"""Bulk upload of staff files (`POST /{kind}/bulk`, the request body is the file), for every record kind: the
formats `matcher import` reads, a preview that stores nothing, column overrides, each committed batch audited."""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import StringConstraints
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, ContextDep, Staff, audited
from api.schemas.catalog import ImportPublic, PreviewPublic
from matcher.errors import InputError
from matcher.ingest.columns import fields_of, parse_overrides
from matcher.ingest.formats import HELP, UPLOADS
from matcher.ingest.importer import Layout
from matcher.ingest.importer import preview as preview_file
from matcher.workspace import data
from matcher.workspace.context import Context
from matcher.workspace.live import searchable_words

FORMAT_PATTERN = f"^({'|'.join(UPLOADS)})$"


def _bulk_import(
    matcher: Context,
    caller: Caller,
    kind: str,
    body: bytes,
    suffix: str,
    mapping: dict[str, str],
    clear_empty: bool,
    layout: Layout,
) -> ImportPublic:
    """Import the uploaded file; the answer says exactly what was kept and what was rejected (a file that cannot
    be read at all is one rejected entry at line 0). Every committed batch is audited in its own transaction, and
    the whole upload once more at the end."""
    with tempfile.TemporaryDirectory() as tmp:
        path, rejects_path = Path(tmp) / f"upload{suffix}", Path(tmp) / "rejects.jsonl"
        path.write_bytes(body)

        def audit(session: Session, detail: dict[str, Any]) -> None:
            audited(session, caller, "bulk-batch", kind, **detail)

        try:
            source = f"上传文件 {hashlib.sha1(body).hexdigest()[:10]}"  # the file, not the user, is a merge's source
            report = data.import_file(
                matcher,
                kind,
                path,
                rejects_path=rejects_path,
                mapping=mapping,
                audit=audit,
                source=source,
                actor=caller.name,
                clear_empty=clear_empty,
                layout=layout,
            )
            # "\n" only: a rejected row may hold U+2028 or other characters str.splitlines also breaks at
            lines = rejects_path.read_text(encoding="utf-8").split("\n") if report.rejected else []
            result = ImportPublic(
                kind=kind,
                accepted=report.accepted,
                rejected=report.rejected,
                rejects=[json.loads(r) for r in lines[:500] if r],
                source=report.source,
                mapping=report.mapping,
                ignored=report.ignored,
                merged=report.merged,
                notes=report.notes,
                counts=report.counts,
                matched_stored=report.matched_stored(),
                searchable=searchable_words(matcher.settings.live_index) if report.accepted else None,
            )
        except InputError as exc:  # unreadable as a whole: say why without the server's temporary path
            reason = str(exc).replace(str(path), f"upload{suffix}").replace(path.name, f"upload{suffix}")
            result = ImportPublic(
                kind=kind, accepted=0, rejected=1, rejects=[{"line": 0, "reason": reason, "row": None}]
            )
    with matcher.session(write=True) as session:
        audited(session, caller, "bulk", kind, accepted=result.accepted, rejected=result.rejected)
    return result


def _preview(kind: str, body: bytes, suffix: str, mapping: dict[str, str], layout: Layout) -> PreviewPublic:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(body)
        try:
            return PreviewPublic(**asdict(preview_file(path, kind, mapping=mapping, layout=layout)))
        except InputError as exc:  # an answer, not a failure: the page shows why and the staff member maps a column
            error = str(exc).replace(path.name, f"upload{suffix}")
            return PreviewPublic(
                kind=kind, source="", headers=[], mapping={}, ignored=[], fields=[], rows=[], notes=[], error=error
            )


def add_bulk(router: APIRouter, kind: str) -> None:
    """Register `POST /{kind}/bulk` on `router`; its `map` items name only `kind`'s fields (the schema says so)."""

    async def bulk(
        request: Request,
        matcher: ContextDep,
        caller: Staff,
        format: Annotated[str, Query(pattern=FORMAT_PATTERN, description=HELP)] = "jsonl",
        preview: Annotated[bool, Query(description="Return the column map and the first rows; store nothing")] = False,
        map_: list[str] | None = None,
        clear_empty: Annotated[bool, Query(description="An empty cell clears its field (default: no change)")] = False,
        header_row: Annotated[int | None, Query(ge=1, le=1000, description="The header is this row (from 1)")] = None,
        sheet: Annotated[str | None, Query(max_length=100, description="Only this sheet (name or number)")] = None,
    ) -> ImportPublic | PreviewPublic:
        mapping, layout = parse_overrides(map_ or []), Layout(header_row, sheet)
        body = await request.body()
        if preview:
            return await run_in_threadpool(_preview, kind, body, UPLOADS[format], mapping, layout)
        return await run_in_threadpool(
            _bulk_import, matcher, caller, kind, body, UPLOADS[format], mapping, clear_empty, layout
        )

    item = Annotated[str, StringConstraints(pattern=f"^[^=]+=({'|'.join(['-', *fields_of(kind)])})$")]
    bulk.__annotations__["map_"] = Annotated[
        list[item] | None,
        Query(alias="map", max_length=200, description="列名=field overrides (repeatable; - ignores a column)"),
    ]
    summary = f"Bulk upload {kind} (request body is the file); preview=true only shows the column map"
    router.post("/bulk", response_model=ImportPublic | PreviewPublic, summary=summary)(bulk)
