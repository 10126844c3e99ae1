"""The `matcher` command line: thin Typer commands over the workspace facade (`workspace/facade.py`) and the
question modules."""
