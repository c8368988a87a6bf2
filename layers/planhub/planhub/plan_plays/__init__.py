"""Plan plays: a user's play-through of a plan's lessons, under commercial controls (docs/product.md "Plan plays")."""
