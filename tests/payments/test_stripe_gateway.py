"""The production gateway (the official SDK) against the local Stripe test endpoint: customers,
charges, refunds, Stripe's test tokens, idempotency keys and the bounded retries."""

from __future__ import annotations

import pytest

from planhub.errors import PaymentDeclined, PaymentUnavailable
from planhub.payments import Card, StripeGateway
from planhub_local.stack import LocalStack
from planhub_local.stripe_endpoint import StripeEndpoint


@pytest.fixture
def gateway(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> StripeGateway:
    """As a function builds it: the secret from the stack's SSM parameter, the endpoint as api_base."""
    monkeypatch.setenv("STRIPE_SECRET_PARAMETER", "/planhub/stripe-secret-key")
    return StripeGateway.from_environment()


def test_a_customer_is_created_with_the_tokens_card(gateway: StripeGateway, stripe_endpoint: StripeEndpoint) -> None:
    customer = gateway.create_customer(token="tok_mastercard", email="u1@example.com", idempotency_key="pm-1")

    assert customer.id.startswith("cus_")
    assert customer.card.brand == "MasterCard"
    assert customer.card.last4 == "4444"
    assert customer.card.exp_month == 12
    [stored] = stripe_endpoint.customers
    assert stored["email"] == "u1@example.com"


def test_a_card_refused_on_attach_is_payment_declined_with_stripes_message(gateway: StripeGateway) -> None:
    with pytest.raises(PaymentDeclined) as refused:
        gateway.create_customer(token="tok_chargeDeclined", email=None, idempotency_key="pm-1")

    assert (refused.value.code, refused.value.message) == ("card_declined", "Your card was declined.")


def test_an_unknown_token_is_declined_as_stripe_words_it(gateway: StripeGateway) -> None:
    with pytest.raises(PaymentDeclined) as refused:
        gateway.create_customer(token="tok_nonsense", email=None, idempotency_key="pm-1")

    assert refused.value.code == "resource_missing"
    assert "tok_nonsense" in refused.value.message


def test_a_charge_on_a_customer_is_made_once_per_idempotency_key(
    gateway: StripeGateway, stripe_endpoint: StripeEndpoint
) -> None:
    customer = gateway.create_customer(token="tok_visa", email=None, idempotency_key="pm-1")

    first = gateway.charge(
        customer_id=customer.id, amount=4900, currency="USD", idempotency_key="inv-1", description="x"
    )
    again = gateway.charge(
        customer_id=customer.id, amount=4900, currency="USD", idempotency_key="inv-1", description="x"
    )

    assert first == again
    [charge] = stripe_endpoint.charges
    assert (charge["amount"], charge["currency"], charge["customer"]) == (4900, "usd", customer.id)


def test_a_customer_whose_card_fails_attaches_but_every_charge_is_declined(
    gateway: StripeGateway, stripe_endpoint: StripeEndpoint
) -> None:
    customer = gateway.create_customer(token="tok_chargeCustomerFail", email=None, idempotency_key="pm-1")
    assert customer.card == Card(brand="Visa", last4="0341", exp_month=12, exp_year=customer.card.exp_year)

    with pytest.raises(PaymentDeclined) as refused:
        gateway.charge(customer_id=customer.id, amount=100, currency="EUR", idempotency_key="inv-1", description="x")

    assert refused.value.code == "card_declined"
    assert [c["status"] for c in stripe_endpoint.charges] == ["failed"]


def test_a_one_time_card_token_may_be_charged_without_a_customer(
    gateway: StripeGateway, stripe_endpoint: StripeEndpoint
) -> None:
    charge = gateway.charge(
        customer_id=None, token="tok_visa", amount=250, currency="NOK", idempotency_key="e-1", description="x"
    )

    assert (charge.amount, charge.currency) == (250, "NOK")
    assert stripe_endpoint.charges[0]["token"] == "tok_visa"


@pytest.mark.parametrize("code", ["rate_limit", "lock_timeout"])
def test_transient_429s_are_retried_with_the_same_key_and_charge_once(
    gateway: StripeGateway, stripe_endpoint: StripeEndpoint, code: str
) -> None:
    customer = gateway.create_customer(token="tok_visa", email=None, idempotency_key="pm-1")
    stripe_endpoint.rate_limit(next=3, code=code)

    gateway.charge(customer_id=customer.id, amount=100, currency="EUR", idempotency_key="inv-1", description="x")

    assert stripe_endpoint.rate_limited == 3
    assert len(stripe_endpoint.charges) == 1


def test_still_rate_limited_after_the_bounded_retries_is_payment_unavailable(
    gateway: StripeGateway, stripe_endpoint: StripeEndpoint
) -> None:
    customer = gateway.create_customer(token="tok_visa", email=None, idempotency_key="pm-1")
    stripe_endpoint.rate_limit(seconds=60)

    with pytest.raises(PaymentUnavailable):
        gateway.charge(customer_id=customer.id, amount=100, currency="EUR", idempotency_key="inv-1", description="x")

    assert stripe_endpoint.rate_limited == gateway.retry.attempts
    assert stripe_endpoint.charges == []


def test_a_refund_gives_back_the_amount_once_per_key(gateway: StripeGateway, stripe_endpoint: StripeEndpoint) -> None:
    charge = gateway.charge(
        customer_id=None, token="tok_visa", amount=900, currency="EUR", idempotency_key="c", description="x"
    )

    part = gateway.refund(charge_id=charge.id, amount=300, idempotency_key="r-1")
    again = gateway.refund(charge_id=charge.id, amount=300, idempotency_key="r-1")
    rest = gateway.refund(charge_id=charge.id, amount=None, idempotency_key="r-2")

    assert part == again
    assert (part.amount, rest.amount) == (300, 600)
    assert [r["amount"] for r in stripe_endpoint.refunds] == [300, 600]


def test_failing_refunds_are_retried_by_the_gateway(gateway: StripeGateway, stripe_endpoint: StripeEndpoint) -> None:
    charge = gateway.charge(
        customer_id=None, token="tok_visa", amount=900, currency="EUR", idempotency_key="c", description="x"
    )
    stripe_endpoint.fail_refunds(2)

    gateway.refund(charge_id=charge.id, amount=None, idempotency_key="r-1")

    assert stripe_endpoint.refund_failures == 2
    assert len(stripe_endpoint.refunds) == 1


def test_a_key_reused_with_other_parameters_is_refused(gateway: StripeGateway) -> None:
    gateway.charge(customer_id=None, token="tok_visa", amount=900, currency="EUR", idempotency_key="c", description="x")

    with pytest.raises(PaymentDeclined) as refused:
        gateway.charge(
            customer_id=None, token="tok_visa", amount=901, currency="EUR", idempotency_key="c", description="x"
        )

    assert "same parameters" in refused.value.message
