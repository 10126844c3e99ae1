"""Lexical index: BM25 (bm25s) over term lists (`tokenize.lexical_terms`: jieba tokens and character bigrams),
keyed by pk. An index built over other terms (jieba tokens alone, before bigrams) is refused on load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from matcher.artifacts.folder import read_params, verify_files, write_params
from matcher.errors import IndexMismatchError
from matcher.text.tokenize import TERMS

BM25_DIR, PKS_FILE = "bm25", "pks.txt"
_BM25_FILES = (
    "data.csc.index.npy",
    "indices.csc.index.npy",
    "indptr.csc.index.npy",
    "vocab.index.json",
    "params.index.json",
)


class LexicalIndex:
    def __init__(self, *, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.retriever_: bm25s.BM25 | None = None
        self.pks_ = np.zeros(0, dtype=np.int64)
        self._position: dict[int, int] = {}

    def fit(self, pks: Any, documents: list[list[str]]) -> LexicalIndex:
        self.pks_ = np.asarray(pks, dtype=np.int64)
        self.retriever_ = bm25s.BM25(k1=self.k1, b=self.b)
        if documents:
            self.retriever_.index(documents, show_progress=False)
        self._position = {int(pk): i for i, pk in enumerate(self.pks_.tolist())}
        return self

    @property
    def count(self) -> int:
        return len(self.pks_)

    def _scores(self, tokens: list[str]) -> np.ndarray:
        if self.retriever_ is None or self.count == 0 or not tokens:
            return np.zeros(self.count, dtype=np.float32)
        return np.asarray(self.retriever_.get_scores(tokens), dtype=np.float32)

    def search(self, tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (pks, BM25 scores) with a positive score, best first."""
        scores = self._scores(tokens)
        k = min(k, int((scores > 0).sum()))
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return self.pks_[top], scores[top]

    def score_pks(self, tokens: list[str], pks: Any) -> np.ndarray:
        """BM25 scores of the given outcomes (0 for unknown pks)."""
        scores = self._scores(tokens)
        return np.array([scores[self._position[p]] if p in self._position else 0.0 for p in pks], dtype=np.float32)

    def save(self, folder: Path) -> dict[str, Any]:
        folder.mkdir(parents=True, exist_ok=True)
        retriever = self.retriever_ or bm25s.BM25(k1=self.k1, b=self.b)
        if self.count:
            retriever.save(str(folder / BM25_DIR), show_progress=False)
        (folder / PKS_FILE).write_text("\n".join(map(str, self.pks_.tolist())) + "\n", encoding="utf-8")
        files = [PKS_FILE] + ([f"{BM25_DIR}/{name}" for name in _BM25_FILES] if self.count else [])
        return write_params(
            folder,
            {
                "type": "bm25",
                "k1": self.k1,
                "b": self.b,
                "count": self.count,
                "tokenizer": "jieba (rjieba) + matcher user dict",
                "terms": TERMS,
            },
            files=files,
        )

    @classmethod
    def load(cls, folder: Path, *, mmap: bool = False) -> LexicalIndex:
        """Load and check; `mmap` maps bm25s' score arrays read-only (for serving)."""
        params = read_params(folder)
        verify_files(folder, params)
        built_over = params.get("terms", "jieba tokens")  # indexes from before bigrams record no terms
        if built_over != TERMS:
            raise IndexMismatchError(
                f"{folder}: BM25 was built over {built_over!r}, this version searches with {TERMS!r}; "
                "run `matcher index build`"
            )
        index = cls(k1=params["k1"], b=params["b"])
        text = (folder / PKS_FILE).read_text(encoding="utf-8").split()
        index.pks_ = np.asarray([int(p) for p in text], dtype=np.int64)
        if len(index.pks_) != params["count"]:
            raise IndexMismatchError(f"{folder}: {len(index.pks_)} ids, params say {params['count']}")
        if index.count:
            index.retriever_ = bm25s.BM25.load(str(folder / BM25_DIR), mmap=mmap, show_progress=False)
        index._position = {int(pk): i for i, pk in enumerate(index.pks_.tolist())}
        return index
