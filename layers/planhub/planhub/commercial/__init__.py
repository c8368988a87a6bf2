"""Commercial controls on billable activity (rate limit, quota, credits) and its metering.

Usable by any billable endpoint: build the request's writes, hand them to
`CommercialControls.transact_billable` with the activity, and put the `Charge` it passes
into the event's data under `BILLING`; then route that event type to the metering function.
"""

from planhub.commercial.controls import BILLING, BillableActivity, Charge, CommercialControls, LimitCode

__all__ = ["BILLING", "BillableActivity", "Charge", "CommercialControls", "LimitCode"]
