"""One workspace opened: its settings, database sessions, embedder and served artifacts (`Context`), and the
thin facade the CLI and the API call."""
