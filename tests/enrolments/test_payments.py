"""Paid learning objects: Stripe (the local test endpoint, where charges and refunds are counted),
credit tokens and coupons, spent exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from planhub.storage import Table
from planhub.storage import keys as table_keys
from planhub_local.stack import LocalStack
from planhub_local.stripe_endpoint import StripeEndpoint
from tests.conftest import Api
from tests.enrolments.conftest import DECLINED_CARD, PORTAL, Learning, enrolment_path

PRICE = {"amount": 4900, "currency": "USD"}
STRIPE = {"paymentMethod": "stripe", "paymentOptions": {"token": "tok_visa"}}


def paid_course(learning: Learning, lo_id: str = "paid") -> None:
    learning.given.learning_object(lo_id, "course", PORTAL, price=PRICE)


def credit(token: str) -> dict[str, Any]:
    return {"paymentMethod": "credit", "paymentOptions": {"token": token}}


def coupon_uses(api: Api, learning: Learning, code: str) -> int:
    return int(api.get(f"/admin/coupons/{code}", token=learning.given.staff).json()["uses"])


# --- no payment -------------------------------------------------------------------------------


def test_a_paid_lo_without_a_payment_is_403_with_a_message(api: Api, learning: Learning) -> None:
    paid_course(learning)
    token = learning.learner("u1")

    answer = api.post(enrolment_path("paid"), {}, token=token)

    assert answer.status == 403
    assert "paid" in answer.json()["message"]


def test_a_refused_payment_leaves_no_enrolment_behind(api: Api, learning: Learning) -> None:
    paid_course(learning)
    token = learning.learner("u1")
    api.post(enrolment_path("paid"), {}, token=token)

    answer = api.post(enrolment_path("paid"), STRIPE, token=token)

    assert answer.status == 200
    assert len(learning.history(answer.json()["id"])) == 1


# --- Stripe --------------------------------------------------------------------------------------


def test_stripe_charges_the_price_once_with_the_enrolment_as_idempotency_key(
    api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    paid_course(learning)
    token = learning.learner("u1")

    answer = api.post(enrolment_path("paid"), STRIPE, token=token)

    assert answer.status == 200
    [charge] = stripe_endpoint.charges
    assert (charge["amount"], charge["currency"], charge["token"]) == (4900, "usd", "tok_visa")
    assert charge["idempotency_key"].startswith(f"enrolment-{answer.json()['id']}-")


def test_a_stripe_customer_may_pay_instead_of_a_card_token(
    api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    paid_course(learning)
    token = learning.learner("u1")
    customer = stripe_endpoint.create_customer("tok_mastercard")
    body = {"paymentMethod": "stripe", "paymentOptions": {"customer": customer}}

    answer = api.post(enrolment_path("paid"), body, token=token)

    assert answer.status == 200
    assert stripe_endpoint.charges[0]["customer"] == customer


def test_stripe_without_a_token_or_customer_is_403(api: Api, learning: Learning) -> None:
    paid_course(learning)
    token = learning.learner("u1")

    answer = api.post(enrolment_path("paid"), {"paymentMethod": "stripe"}, token=token)

    assert answer.status == 403


def test_a_declined_card_is_403_and_nothing_is_enrolled(
    api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    paid_course(learning)
    token = learning.learner("u1")
    declined = {"paymentMethod": "stripe", "paymentOptions": {"token": DECLINED_CARD}}

    answer = api.post(enrolment_path("paid"), declined, token=token)

    assert answer.status == 403
    assert answer.json() == {"message": "Payment declined: Your card was declined."}
    assert stripe_endpoint.succeeded_charges() == []
    assert api.post(enrolment_path("paid"), {}, token=token).status == 403


def test_an_active_paid_enrolment_is_answered_without_charging_again(
    api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    paid_course(learning)
    token = learning.learner("u1")
    first = learning.enrol(token, "paid", body=STRIPE)

    again = api.post(enrolment_path("paid"), STRIPE, token=token)

    assert again.json() == {"id": first}
    assert len(stripe_endpoint.charges) == 1


def refused_enrolment(stack: LocalStack, learning: Learning) -> str:
    """A paid course and a learner whose enrolment's transaction will be refused (an active plan
    ref whose plan is gone): the learner's token."""
    paid_course(learning)
    token = learning.learner("u1")
    Table(stack.table_name).put(
        {**table_keys.active_plan(PORTAL, "u1", "paid"), "entity": "active_plan", "plan_id": 999}
    )
    return token


def test_a_charge_is_refunded_when_the_enrolment_cannot_be_written(
    stack: LocalStack, api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    token = refused_enrolment(stack, learning)

    answer = api.post(enrolment_path("paid"), STRIPE, token=token)
    stack.drain()

    assert answer.status == 409
    [charge] = stripe_endpoint.charges
    assert [(r["charge"], r["amount"]) for r in stripe_endpoint.refunds] == [(charge["id"], 4900)]
    refund = Table(stack.table_name).get(table_keys.refund(f"charge-{charge['id']}-refund"))
    assert refund is not None and refund["status"] == "succeeded"


def test_the_refund_is_retried_until_stripe_confirms_it_and_made_once(
    stack: LocalStack, api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    # Given Stripe failing more refund attempts than the gateway's own retries
    token = refused_enrolment(stack, learning)
    stripe_endpoint.fail_refunds(7)

    api.post(enrolment_path("paid"), STRIPE, token=token)
    stack.drain()

    # Then Lambda's retries of the refund consumer got it through, once
    assert stripe_endpoint.refund_failures == 7
    assert len(stripe_endpoint.refunds) == 1
    assert stack.failures == []


# --- credit tokens ---------------------------------------------------------------------------------


def test_a_credit_token_pays_for_its_lo_once(api: Api, learning: Learning) -> None:
    paid_course(learning)
    [credit_token] = learning.given.credit_tokens("paid")
    first = learning.learner("u1")
    second = learning.learner("u2")

    paid = api.post(enrolment_path("paid"), credit(credit_token), token=first)
    reused = api.post(enrolment_path("paid"), credit(credit_token), token=second)

    assert paid.status == 200
    assert reused.status == 403
    assert reused.json() == {"message": "The credit token has already been used"}


def test_a_credit_token_for_another_lo_is_403(api: Api, learning: Learning) -> None:
    paid_course(learning)
    paid_course(learning, "paid-2")
    [other] = learning.given.credit_tokens("paid-2")
    token = learning.learner("u1")

    answer = api.post(enrolment_path("paid"), credit(other), token=token)

    assert answer.status == 403
    assert answer.json() == {"message": "The credit token is not for this learning object in this portal"}


def test_an_unknown_credit_token_is_403(api: Api, learning: Learning) -> None:
    paid_course(learning)
    token = learning.learner("u1")

    answer = api.post(enrolment_path("paid"), credit("not-a-token"), token=token)

    assert answer.status == 403


def test_concurrent_requests_cannot_spend_one_credit_token_twice(api: Api, learning: Learning) -> None:
    paid_course(learning)
    [credit_token] = learning.given.credit_tokens("paid")
    learners = [learning.learner(f"u{n}") for n in range(6)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda t: api.post(enrolment_path("paid"), credit(credit_token), token=t), learners))

    assert sorted(a.status for a in answers) == [200, 403, 403, 403, 403, 403]


# --- coupons -------------------------------------------------------------------------------


def test_a_coupon_lowers_the_stripe_charge_and_counts_a_use(
    api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    paid_course(learning)
    learning.given.coupon("QUARTER", PORTAL, discount=0.25)
    token = learning.learner("u1")

    answer = api.post(enrolment_path("paid"), {**STRIPE, "coupon": "QUARTER"}, token=token)

    assert answer.status == 200
    assert stripe_endpoint.charges[0]["amount"] == 3675
    assert coupon_uses(api, learning, "QUARTER") == 1


def test_a_discount_is_rounded_to_whole_minor_units(
    api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    learning.given.learning_object("odd", "course", PORTAL, price={"amount": 999, "currency": "USD"})
    learning.given.coupon("THIRD", PORTAL, discount=0.333)
    token = learning.learner("u1")

    api.post(enrolment_path("odd"), {**STRIPE, "coupon": "THIRD"}, token=token)

    assert stripe_endpoint.charges[0]["amount"] == 666  # 999 - round(332.667)


def test_a_full_coupon_needs_no_payment(api: Api, learning: Learning, stripe_endpoint: StripeEndpoint) -> None:
    paid_course(learning)
    learning.given.coupon("FREE", PORTAL, discount=1.0)
    token = learning.learner("u1")

    answer = api.post(enrolment_path("paid"), {"coupon": "FREE"}, token=token)

    assert answer.status == 200
    assert stripe_endpoint.charges == []
    assert coupon_uses(api, learning, "FREE") == 1


def test_replacing_a_redeemed_coupon_keeps_its_uses(api: Api, learning: Learning) -> None:
    paid_course(learning)
    learning.given.coupon("FREE", PORTAL, discount=1.0, max_uses=5)
    api.post(enrolment_path("paid"), {"coupon": "FREE"}, token=learning.learner("u1"))

    replaced = learning.given.coupon("FREE", PORTAL, discount=1.0, max_uses=10)

    assert replaced["uses"] == 1
    assert coupon_uses(api, learning, "FREE") == 1


def test_replacing_a_coupon_while_it_is_redeemed_loses_no_use(api: Api, learning: Learning) -> None:
    paid_course(learning)
    learning.given.coupon("FREE", PORTAL, discount=1.0)
    learners = [learning.learner(f"u{n}") for n in range(8)]

    def redeem(token: str) -> int:
        return api.post(enrolment_path("paid"), {"coupon": "FREE"}, token=token).status

    def replace(_: int) -> int:
        return api.put("/admin/coupons/FREE", {"portal": PORTAL, "discount": 1.0}, token=learning.given.staff).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        redeemed = pool.map(redeem, learners)
        replaced = pool.map(replace, range(8))
        statuses = list(redeemed), list(replaced)

    assert statuses[0] == [200] * 8
    assert all(status in (200, 409) for status in statuses[1])
    assert coupon_uses(api, learning, "FREE") == 8


def test_a_coupon_that_is_not_valid_here_is_403(api: Api, learning: Learning) -> None:
    paid_course(learning)
    learning.given.portal("p-other", "other.example.com")
    learning.given.coupon("ELSEWHERE", "p-other", discount=1.0)
    learning.given.coupon("OTHER-LO", PORTAL, discount=1.0, lo_ids=["another"])
    learning.given.coupon("EXPIRED", PORTAL, discount=1.0, expires="2020-01-01T00:00:00Z")
    token = learning.learner("u1")

    for code, reason in [
        ("ELSEWHERE", "is not valid in this portal"),
        ("OTHER-LO", "is not valid for learning object paid"),
        ("EXPIRED", "has expired"),
        ("NO-SUCH", "does not exist"),
    ]:
        answer = api.post(enrolment_path("paid"), {"coupon": code}, token=token)

        assert answer.status == 403, code
        assert answer.json() == {"message": f"Coupon {code} {reason}"}


def test_a_free_lo_ignores_the_coupon(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.coupon("FREE", PORTAL, discount=1.0, max_uses=1)
    token = learning.learner("u1")

    answer = api.post(enrolment_path("c1"), {"coupon": "FREE"}, token=token)

    assert answer.status == 200
    assert coupon_uses(api, learning, "FREE") == 0


def test_a_coupons_max_uses_holds_under_concurrent_enrolments(api: Api, learning: Learning) -> None:
    paid_course(learning)
    learning.given.coupon("TWICE", PORTAL, discount=1.0, max_uses=2)
    learners = [learning.learner(f"u{n}") for n in range(6)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda t: api.post(enrolment_path("paid"), {"coupon": "TWICE"}, token=t), learners))

    assert sorted(a.status for a in answers) == [200, 200, 403, 403, 403, 403]
    assert coupon_uses(api, learning, "TWICE") == 2


def test_nobody_pays_for_an_enrolment_the_last_coupon_use_did_not_get(
    stack: LocalStack, api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    paid_course(learning)
    learning.given.coupon("HALF", PORTAL, discount=0.5, max_uses=1)
    learners = [learning.learner(f"u{n}") for n in range(4)]
    body = {**STRIPE, "coupon": "HALF"}

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda t: api.post(enrolment_path("paid"), body, token=t), learners))

    stack.drain()
    assert sorted(a.status for a in answers) == [200, 403, 403, 403]
    assert len(stripe_endpoint.charges) - len(stripe_endpoint.refunds) == 1


# --- many LOs ------------------------------------------------------------------------------


def test_many_los_are_paid_per_item_with_the_credit_token_mapped_to_each(api: Api, learning: Learning) -> None:
    paid_course(learning, "111")
    paid_course(learning, "222")
    paid_course(learning, "333")
    [first] = learning.given.credit_tokens("111")
    [second] = learning.given.credit_tokens("222")
    token = learning.learner("u1")
    body = {
        "paymentMethod": "credit",
        "paymentOptions": {
            "tokens": {first: {"productType": "lo", "productId": 111}, second: {"productType": "lo", "productId": 222}}
        },
        "items": [{"loId": 111}, {"loId": 222}, {"loId": 333}],
    }

    answer = api.post(f"/enrolment/{PORTAL}/enrolment", body, token=token)

    outcomes = answer.json()
    assert list(outcomes["111"]) == ["200"]
    assert list(outcomes["222"]) == ["200"]
    assert list(outcomes["333"]) == ["403"]


def test_many_los_are_charged_through_stripe_per_paid_item(
    api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    paid_course(learning, "paid-1")
    paid_course(learning, "paid-2")
    learning.given.learning_object("free", "course", PORTAL)
    token = learning.learner("u1")
    body = {
        "paymentMethod": "stripe",
        "paymentOptions": {"customer": stripe_endpoint.create_customer()},
        "items": [{"loId": "paid-1"}, {"loId": "free"}, {"loId": "paid-2"}],
    }

    answer = api.post(f"/enrolment/{PORTAL}/enrolment", body, token=token)

    assert all(list(outcome) == ["200"] for outcome in answer.json().values())
    assert [c["amount"] for c in stripe_endpoint.charges] == [4900, 4900]


def test_a_coupons_last_use_goes_to_the_first_of_many_items_and_the_next_is_refused_before_any_charge(
    api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    paid_course(learning, "paid-1")
    paid_course(learning, "paid-2")
    learning.given.coupon("ONCE", PORTAL, discount=0.5, max_uses=1)
    token = learning.learner("u1")
    body = {**STRIPE, "coupon": "ONCE", "items": [{"loId": "paid-1"}, {"loId": "paid-2"}]}

    answer = api.post(f"/enrolment/{PORTAL}/enrolment", body, token=token)

    outcomes = answer.json()
    assert list(outcomes["paid-1"]) == ["200"]
    assert outcomes["paid-2"] == {"403": {"message": "Coupon ONCE has been used up"}}
    assert [c["amount"] for c in stripe_endpoint.charges] == [2450]
    assert stripe_endpoint.refunds == []
    assert coupon_uses(api, learning, "ONCE") == 1


# --- Stripe under load -----------------------------------------------------------------------


def test_stripes_429s_are_retried_with_the_same_key_and_the_lo_is_charged_once(
    api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    paid_course(learning)
    token = learning.learner("u1")
    stripe_endpoint.rate_limit(next=3, code="lock_timeout")

    answer = api.post(enrolment_path("paid"), STRIPE, token=token)

    assert answer.status == 200
    assert stripe_endpoint.rate_limited == 3
    assert len(stripe_endpoint.charges) == 1


def test_stripe_still_rate_limiting_after_the_retries_is_503_and_nothing_is_enrolled(
    api: Api, learning: Learning, stripe_endpoint: StripeEndpoint
) -> None:
    paid_course(learning)
    token = learning.learner("u1")
    stripe_endpoint.rate_limit(seconds=60)

    answer = api.post(enrolment_path("paid"), STRIPE, token=token)

    assert answer.status == 503
    assert "try again" in answer.json()["message"]
    assert stripe_endpoint.charges == []
    stripe_endpoint.rate_limit()  # Stripe is back
    assert api.post(enrolment_path("paid"), STRIPE, token=token).status == 200
