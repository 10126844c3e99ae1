"""Nightly batch matching: score every selected need, choose pairings under constraints, keep runs as records."""

from __future__ import annotations

from matcher.assign.params import BatchParams
from matcher.assign.pipeline import execute, resume, start_once, start_run
from matcher.assign.solver import Limits, Pair, greedy, solve

__all__ = ["BatchParams", "Limits", "Pair", "execute", "greedy", "resume", "solve", "start_once", "start_run"]
