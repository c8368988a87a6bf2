"""Operator tools, run by hand against a deployed stack (or the local one), never by a request.

- `python -m operations.replay` (`make replay`): dead-lettered events back on the bus.
- `python -m operations.backfill` (`make backfill`): plans and enrolments stored before the
  user's lists existed join them, once after the deploy that added the lists.

They live outside the layer, so no function can load them, and outside `hardening/`, which
attacks the API; these repair what a production incident left behind.
"""
