"""Plan plays: a user's play-through of a plan's lessons, under commercial controls (SPEC.md section 6)."""
