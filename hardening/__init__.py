"""Hardening: the whole API under bad input, every actor, injected faults and concurrency.

`python -m hardening` (make harden) runs the big generated campaign and prints its summary;
tests/hardening/ runs a small, fast slice of the same checks under pytest.
"""
