"""Artifacts on disk: folders of plain files with a checksummed params.json (indexes, models, the map)."""
