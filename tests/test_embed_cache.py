"""The cached embedder hands the model its misses shortest first, in chunks, and puts each vector back where its
text was asked for."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from matcher.embed.cache import CachedEmbedder, EmbeddingCache


class Recording:
    """A model whose vector of a text is (its length, 1): the chunks it was given are recorded."""

    name, dim = "recording", 2

    def __init__(self) -> None:
        self.chunks: list[list[str]] = []

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        self.chunks.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    encode_queries = encode_documents


def test_misses_go_to_the_model_shortest_first_and_come_back_in_order(tmp_path: Path) -> None:
    inner = Recording()
    cached = CachedEmbedder(inner, EmbeddingCache(tmp_path / "c.sqlite"), batch_size=2)
    cached.encode_documents(["bb"])  # cached before
    texts = ["dddd", "a", "bb", "ccc", "eeeee", "a"]
    vectors = cached.encode_documents(texts)
    assert inner.chunks == [["bb"], ["a", "ccc"], ["dddd", "eeeee"]]  # "bb" from the cache, "a" once
    assert vectors[:, 0].tolist() == [4, 1, 2, 3, 5, 1]
