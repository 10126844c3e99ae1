"""The matcher service: REST API (FastAPI) and the staff web page."""
