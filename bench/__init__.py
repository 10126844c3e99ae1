"""Benchmarks (`make bench`): each scenario runs in its own process and writes docs/bench/<name>.json;
`bench.report` renders every result present into docs/benchmarks.md."""
