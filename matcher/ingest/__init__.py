"""Import: files (JSONL / CSV / XLSX) → validated records → idempotent upserts, with a rejects file."""

from matcher.ingest.importer import ImportReport, import_file

__all__ = ["ImportReport", "import_file"]
