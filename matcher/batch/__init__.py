"""Nightly batch matching: score every selected need, choose pairings under constraints, keep runs as records."""

from __future__ import annotations

from matcher.batch.assign import Limits, Pair, greedy, solve
from matcher.batch.params import BatchParams
from matcher.batch.pipeline import execute, resume, start_run

__all__ = ["BatchParams", "Limits", "Pair", "execute", "greedy", "resume", "solve", "start_run"]
