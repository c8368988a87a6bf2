"""What billing reads of records other code writes: a plan's terms, a payment method.

Billing imports no other area: it reads the stored plan item (written by
`planhub.subscriptions`, keyed by `storage.keys.subscription_plan`) through the attributes
docs/product.md "Subscription plans" fixes, and the payment method item through the attributes the payments
package stores (`docs/decisions/payments.md`). Attributes the plan leaves out are at their defaults (the plan item omits
defaults to stay small).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from planhub.storage import keys
from planhub.storage.keys import Key


class PlanItemTerms(BaseModel):
    model_config = ConfigDict(extra="ignore")

    product_id: str
    quantity: int = 1
    discount: Decimal = Decimal(0)
    unit_amount: int = 0


class PlanTerms(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    company_id: str
    method: str = "basic"
    user_id: str | None = None
    name: str = ""
    billing_interval: str
    currency: str
    total_amount: int
    discount: Decimal = Decimal(0)
    initial_fail_amount_action: str = "CANCEL"
    max_fail_attempts: int = 0
    prorate: bool = False
    active: bool = True
    deleted: bool = False
    items: list[PlanItemTerms] = Field(default_factory=list)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> PlanTerms:
        return cls.model_validate(item)

    @property
    def amount_per_interval(self) -> int:
        """total_amount less the plan's discount, half up to the minor unit (as the plan answers it)."""
        return int((Decimal(self.total_amount) * (1 - self.discount)).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def is_basic(self) -> bool:
        return self.method == "basic"


class PaymentMethodRef(BaseModel):
    """The attributes of a stored payment method billing relies on."""

    model_config = ConfigDict(extra="ignore")

    id: str
    user_id: str
    company_id: str | None = None
    customer_id: str
    deleted: bool = False

    @staticmethod
    def key_of(payment_method_id: str) -> Key:
        return keys.payment_method(payment_method_id)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> PaymentMethodRef:
        return cls.model_validate({**item, "user_id": item.get("user_id") or item.get("user")})
