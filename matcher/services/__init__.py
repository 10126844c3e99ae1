"""Keyword-only service functions taking a `session`: what the API (and the CLI) do to the store."""
