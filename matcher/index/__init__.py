"""Indexes: dense (FAISS) and lexical (bm25s), each saved as a folder with params.json; `sync` keeps them in
step with the store."""
