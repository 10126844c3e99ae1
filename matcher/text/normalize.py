"""Text normalisation shared by import, tokenisation and institution matching."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

_SPACE = re.compile(r"\s+")
# C0/C1 controls but tab, LF and CR; zero-width characters; what XML (and so XLSX) cannot hold
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u200b-\u200d\u2060\ufeff\ufffe\uffff]")
_INSTITUTION_NOISE = re.compile(r"[\s·•,，、()（）\[\]【】\"'“”‘’]")


def strip_invisible(text: str) -> str:
    """`text` without control characters (tab, LF and CR kept) and zero-width characters."""
    return _INVISIBLE.sub("", text)


def is_id_field(name: object) -> bool:
    return isinstance(name, str) and (name == "id" or name.endswith("_id"))


def clean_input(value: Any) -> Any:
    """Every string inside `value` (a record, a list, a dict) with `strip_invisible` applied: how text is cleaned
    once, where it enters (import rows and API bodies alike). Ids (`id`, `…_id`) are left as they are: an id with
    a control character is refused by its pattern, never silently turned into another id."""
    if isinstance(value, str):
        return strip_invisible(value)
    if isinstance(value, dict):
        return {k: v if is_id_field(k) else clean_input(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_input(v) for v in value]
    return value


def normalize(text: str) -> str:
    """NFKC (full width → half width), lower case, one space between words, trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def clean(text: str | None) -> str:
    """NFKC and collapse whitespace, keeping case: how stored display text is kept."""
    if not text:
        return ""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def institution_key(name: str) -> str:
    """The comparison key of an institution name: normalised, punctuation and spaces removed."""
    return _INSTITUTION_NOISE.sub("", normalize(name))


def text_hash(text: str) -> str:
    """A short stable content hash (hex) used for caches and change detection."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def stable_id(prefix: str, *parts: str) -> str:
    """A deterministic id from normalised parts, e.g. an expert from name + institution."""
    digest = hashlib.sha1("\x1f".join(normalize(p) for p in parts).encode("utf-8")).hexdigest()
    return f"{prefix}{digest[:12]}"


def compose(title: str, body: str, max_chars: int) -> str:
    """Title and body as one text for embedding, cut at `max_chars` on purpose (never silently by a model)."""
    title, body = clean(title), clean(body)
    joined = f"{title}。{body}" if body and title else (title or body)
    return joined[:max_chars]


def outcome_text(title: str, abstract: str, keywords: list[str]) -> str:
    """An outcome's words for tokenising and BM25: title, abstract and keywords."""
    return f"{title} {abstract} {' '.join(keywords)}"
