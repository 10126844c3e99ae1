"""Files that ship inside the package: the demo corpus, the dictionaries and the default ranker.

In the repository they live in the top-level `data/` and `models/` folders (linked here); a wheel carries copies,
so `pip install .` works without the source tree.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _path(*parts: str) -> Path:
    return Path(str(files(__name__).joinpath(*parts)))


def dict_dir() -> Path:
    """User dictionary, stopwords and institution aliases."""
    return _path("data", "dict")


def demo_dir() -> Path:
    """The demo corpus (institutions, experts, outcomes, needs, qrels)."""
    return _path("data", "demo")


def default_model_dir() -> Path:
    """The shipped outcome ranker (`make model`)."""
    return _path("models", "default")


def default_calibration_dir() -> Path:
    """The shipped calibration of the 匹配度 (`make model`)."""
    return _path("models", "calibration")


def default_reverse_model_dir() -> Path:
    """The shipped reverse ranker, 成果找需求 / 找企业 (`make model`; absent when none won on held-out data)."""
    return _path("models", "reverse")
