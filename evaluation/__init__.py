"""Evaluation of match quality: systems side by side on judged data, metrics (ranx), reports (HTML + JSON)."""

NEED_SIDE, OUTCOME_SIDE = "need", "outcome"  # --direction: who looks (a need for outcomes, or an outcome for needs)
