"""The models a workspace serves, as staff and operators ask about them: which version (id, date, source) and
what is wrong with them (a model that cannot load, or an earlier one served instead)."""

from __future__ import annotations

from typing import Any

from matcher.artifacts import history
from matcher.errors import ArtifactError
from matcher.levels import OUTCOME, REVERSE
from matcher.match import forward, reverse
from matcher.ranking.calibration import Calibration, served_keys
from matcher.workspace.context import Context


def served_model(ctx: Context) -> dict[str, Any] | None:
    """The served model's id, date and source: its history version, else the ranker's own params."""
    current = history.served(ctx.workspace.models_dir)
    if current is not None:
        info = current.info()
        return {"id": current.id, "created_at": info.get("created_at"), "source": info.get("source"),
                "fell_back_from": current.fell_back_from}  # fmt: skip
    try:
        ranker = ctx.snapshot().ranker
    except ArtifactError:
        return None
    if ranker is None:
        return None
    sources = ranker.params.get("training", {}).get("sources") or ranker.params.get("sources")
    return {"id": ranker.name, "created_at": ranker.params.get("created_at"),
            "source": "、".join(sources) if isinstance(sources, list) else sources, "fell_back_from": None}  # fmt: skip


def model_problems(ctx: Context) -> list[str]:
    """Why the models served are not all the ones configured, in the staff's words (empty: all well)."""
    return ctx.served.problems()


def served_maps(ctx: Context) -> Calibration:
    """The 匹配度 maps served now."""
    return ctx.snapshot().calibration


def served_map_keys(ctx: Context) -> list[str]:
    """Every key the server gives a 匹配度 for with the rankers served now (each needs a map)."""
    snap = ctx.snapshot()
    ranked = forward.ranker_at(snap.ranker, OUTCOME) is not None
    at = tuple(level.name for level in REVERSE if reverse.reverse_ranker_at(snap, level) is not None)
    return served_keys(ranker=ranked, expert_ranker=snap.expert_ranker is not None, reverse=at)
