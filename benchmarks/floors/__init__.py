"""Floor handlers for the cold-start benchmark: what the cheapest possible function costs."""
