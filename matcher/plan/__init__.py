"""Plans staff make from matches: company–institution pairings, visit plans and delegations (对接会)."""
