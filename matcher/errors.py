"""Small domain exceptions. The library raises these; only the CLI and the API translate them
(`api/problems.py` maps every class to a problem type and an HTTP status)."""

from __future__ import annotations


class MatcherError(Exception):
    """Base class of every error matcher raises on purpose."""


class ConfigError(MatcherError):
    """Settings or workspace are unusable (bad path, unknown backend, bad database URL)."""


class InputError(MatcherError):
    """A file or a piece of text given by the user cannot be read or is malformed."""


class NotFoundError(MatcherError):
    """An id that was asked for does not exist in the store."""


class ConflictError(MatcherError):
    """The request conflicts with what is stored (an id that already exists, a closed need)."""


class AuthError(MatcherError):
    """A missing, unknown or revoked API key."""


class ForbiddenError(MatcherError):
    """The key is valid but its role may not do this."""


class EmbedderError(MatcherError):
    """An embedding backend could not be loaded."""


class ArtifactError(MatcherError):
    """A saved artifact folder (index, tokenizer, model) cannot be used."""


class ArtifactMissingError(ArtifactError):
    """The artifact folder (or its params.json) does not exist."""


class ArtifactMismatchError(ArtifactError):
    """The artifact is corrupted (checksum), unreadable, or was built for something else."""


class IndexMissingError(ArtifactMissingError):
    """No index has been built yet in this workspace."""


class IndexMismatchError(ArtifactMismatchError):
    """An index on disk was built with another embedder, another dimension, or is corrupted."""


class MapMissingError(ArtifactMissingError):
    """No technology map has been built yet in this workspace."""


class MapMismatchError(ArtifactMismatchError):
    """A technology map folder is corrupted or unreadable."""


class ModelMissingError(ArtifactMissingError):
    """No trained model at the folder the settings name."""


class ModelMismatchError(ArtifactMismatchError):
    """A model folder is corrupted, holds unexpected types, or was trained on another feature list."""
