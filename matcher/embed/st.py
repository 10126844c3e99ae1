"""sentence-transformers backend for any local model folder (never downloads: HF_HUB_OFFLINE is forced)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from matcher.errors import EmbedderError


def _folder_fingerprint(folder: Path) -> str:
    """A short hash of the model's config files, so two different folders never share an index."""
    digest = hashlib.sha1()
    for name in sorted(p.name for p in folder.glob("*.json")):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:8]


class STEmbedder:
    def __init__(self, folder: Path, *, batch_size: int = 32) -> None:
        if not folder.is_dir():
            raise EmbedderError(f"sentence-transformers model folder not found: {folder}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError("install the `st` extra: pip install 'matcher[st]'") from exc
        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        dimension = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dim = int(dimension() or 0)
        self.name = f"st/{folder.name}@{_folder_fingerprint(folder)}"
        self.batch_size = batch_size

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)
