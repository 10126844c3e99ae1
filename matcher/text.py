"""Text normalisation shared by import, tokenisation and institution matching."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACE = re.compile(r"\s+")
_INSTITUTION_NOISE = re.compile(r"[\s·•,，、()（）\[\]【】\"'“”‘’]")


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
