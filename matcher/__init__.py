"""matcher: a matchmaking recommender for Chinese technology transfer (产学研供需对接)."""

from __future__ import annotations

__version__ = "0.1.0"
