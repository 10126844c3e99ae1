"""Dense index: FAISS inner product over L2-normalised vectors (= cosine), keyed by outcome pk.

Exact (IndexIDMap2 over IndexFlatIP) up to `exact_max` vectors, IVF-Flat beyond; the choice is recorded.
A server loads it memory-mapped (read-only: every worker process shares one copy in the page cache); the
builder loads it into memory to update it and swaps a new folder in, so a mapped file is never rewritten.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from matcher.artifacts.folder import read_params, verify_files, write_params
from matcher.errors import IndexMismatchError

log = logging.getLogger(__name__)
FAISS_FILE, IDS_FILE = "dense.faiss", "ids.tsv"
_MMAP = faiss.IO_FLAG_MMAP_IFC  # the file mapped: flat codes and IVF lists are read in place, not copied


def _ids(pks: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(pks, dtype=np.int64))


def _vectors(matrix: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(matrix, dtype=np.float32))


class DenseIndex:
    """Vectors by outcome pk, plus the text hash each vector was computed from (to spot changed outcomes)."""

    def __init__(self, *, embedder: str, dim: int, kind: str = "flat", nlist: int = 0, nprobe: int = 64) -> None:
        self.embedder, self.dim, self.kind = embedder, dim, kind
        self.nlist, self.nprobe = nlist, nprobe
        self.index_: faiss.Index | None = None
        self.hashes_: dict[int, str] = {}
        self._direct_map = False  # IVF only: id → vector map for `vectors` (and `similarity`), built once
        self.mapped = False  # loaded memory-mapped: read-only

    @staticmethod
    def choose_kind(n: int, exact_max: int) -> tuple[str, int]:
        """Exact search for small corpora; IVF with ~4·sqrt(n) lists for large ones."""
        if n <= exact_max:
            return "flat", 0
        return "ivf", int(4 * math.sqrt(n))

    def _empty(self, train: np.ndarray | None) -> faiss.Index:
        if self.kind == "flat":
            return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFFlat(quantizer, self.dim, self.nlist, faiss.METRIC_INNER_PRODUCT)
        if train is None or len(train) < self.nlist:
            raise IndexMismatchError("an IVF index needs at least nlist vectors to train on")
        index.train(_vectors(train))
        index.nprobe = self.nprobe
        return index

    def build(self, pks: Any, vectors: np.ndarray, hashes: list[str]) -> DenseIndex:
        self.index_ = self._empty(vectors if self.kind == "ivf" else None)
        self.hashes_ = {}
        self.add(pks, vectors, hashes)
        return self

    def set_nprobe(self, nprobe: int) -> None:
        """IVF lists searched per query (recorded in params.json at the next save); no effect on a flat index."""
        self.nprobe = nprobe
        if self.kind == "ivf" and self.index_ is not None:
            faiss.extract_index_ivf(self.index_).nprobe = nprobe

    def _writable(self) -> None:
        if self.mapped:
            raise IndexMismatchError("a memory-mapped dense index is read-only; load it with mmap=False to change it")

    def add(self, pks: Any, vectors: np.ndarray, hashes: list[str]) -> None:
        self._writable()
        if self.index_ is None:
            self.index_ = self._empty(vectors if self.kind == "ivf" else None)
        ids = _ids(pks)
        if len(ids) == 0:
            return
        self.remove([p for p in ids.tolist() if p in self.hashes_])
        self.index_.add_with_ids(_vectors(vectors), ids)
        self.hashes_.update(zip(ids.tolist(), hashes, strict=True))

    def remove(self, pks: Any) -> None:
        self._writable()
        ids = _ids(pks)
        if self.index_ is None or len(ids) == 0:
            return
        self.index_.remove_ids(ids)  # type: ignore[arg-type]
        for pk in ids.tolist():
            self.hashes_.pop(pk, None)

    @property
    def count(self) -> int:
        return 0 if self.index_ is None else int(self.index_.ntotal)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (pks, cosine scores) for one query vector."""
        ids, scores = self.search_many(query.reshape(1, -1), min(k, max(self.count, 1)))
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def search_many(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (pks, cosines) for each row of `queries`; a pk of -1 pads a row when the index holds fewer.
        Single-threaded: OpenMP start-up costs more than it saves on a request's few hundred rows, and the server
        runs requests in parallel anyway."""
        if self.index_ is None or self.count == 0:
            return np.full((len(queries), k), -1, dtype=np.int64), np.full((len(queries), k), -1.0, np.float32)
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self.index_.search(_vectors(queries), k)
        finally:
            faiss.omp_set_num_threads(threads)
        return ids, scores

    def vectors(self, pks: Any) -> np.ndarray:
        """The stored vectors of `pks`, in order (exact, whatever the index kind)."""
        if self.index_ is None:
            raise IndexMismatchError("dense index is empty")
        if self.kind == "ivf" and not self._direct_map:
            # a hashtable map: outcome pks are not sequential, and it stays valid through add/remove
            faiss.extract_index_ivf(self.index_).set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
            self._direct_map = True
        if not len(pks):
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self.index_.reconstruct_batch(_ids(pks)))

    def similarity(self, query: np.ndarray, pks: Any) -> np.ndarray:
        """Cosine of `query` with the stored vectors of `pks` (exact, whatever the index kind)."""
        return self.vectors(pks) @ _vectors(query)

    def save(self, folder: Path) -> dict[str, Any]:
        folder.mkdir(parents=True, exist_ok=True)
        if self.index_ is None:
            self.index_ = self._empty(None)
        faiss.write_index(self.index_, str(folder / FAISS_FILE))
        lines = (f"{pk}\t{h}" for pk, h in sorted(self.hashes_.items()))
        (folder / IDS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        params = {
            "type": "dense",
            "embedder": self.embedder,
            "dim": self.dim,
            "count": self.count,
            "index_type": self.kind,
            "nlist": self.nlist,
            "nprobe": self.nprobe,
            "metric": "cosine",
        }
        return write_params(folder, params, files=[FAISS_FILE, IDS_FILE])

    @classmethod
    def load(
        cls, folder: Path, *, embedder: str | None = None, dim: int | None = None, mmap: bool = False
    ) -> DenseIndex:
        """Load and check: a different embedder or dimension, or a corrupted file, is an IndexMismatchError.
        `mmap`: map the vectors read-only instead of reading them (for serving; such an index cannot change)."""
        params = read_params(folder)
        if embedder is not None and params.get("embedder") != embedder:
            raise IndexMismatchError(
                f"dense index at {folder} was built with {params.get('embedder')!r}, "
                f"but the workspace embedder is {embedder!r}; run `matcher index build --full`"
            )
        if dim is not None and params.get("dim") != dim:
            raise IndexMismatchError(f"dense index dimension {params.get('dim')} != embedder dimension {dim}")
        verify_files(folder, params)
        index = cls(
            embedder=params["embedder"],
            dim=params["dim"],
            kind=params["index_type"],
            nlist=params["nlist"],
            nprobe=params["nprobe"],
        )
        index.index_ = faiss.read_index(str(folder / FAISS_FILE), _MMAP if mmap else 0)
        index.mapped = mmap
        index.set_nprobe(index.nprobe)
        for line in (folder / IDS_FILE).read_text(encoding="utf-8").splitlines():
            if line:
                pk, _, h = line.partition("\t")
                index.hashes_[int(pk)] = h
        if len(index.hashes_) != index.count:
            raise IndexMismatchError(f"{folder}: {len(index.hashes_)} ids but {index.count} vectors")
        return index
