"""Evaluation of match quality: systems side by side on judged data, metrics (ranx), reports (HTML + JSON)."""
