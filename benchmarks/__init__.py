"""Benchmarks: figures to read, not tests (`make bench`)."""
