"""Learning from judgements: the rankers' training rows collected from a workspace, and the rankers trained and
saved from them."""
