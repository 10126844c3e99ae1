"""The `matcher` command line: thin Typer commands over matcher.engine.Matcher."""
