"""Operation ids (docs/product.md "Everyday operations"): short, explicit, camelCase, unique and stable, so a client
generated from docs/openapi.json reads like the API (`client.assign_plan_to_user(...)`), not
like Powertools' default (`assign_plan_to_user_enrolment_plan_instance_lo_id_user_user_id_post`).

A route added later needs an `operation_id=` of its own (the default id is not camelCase);
the ids below never change, since generated clients call them by name.
"""

from __future__ import annotations

import json
import re

from planhub_local.template import REPO

DOCUMENT = REPO / "docs" / "openapi.json"
CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]{2,39}$")

STABLE: dict[str, tuple[str, str]] = {
    "assignPlanToGroup": ("POST", "/enrolment/plan/{instance}/{loId}/group/{groupId}"),
    "assignPlanToUser": ("POST", "/enrolment/plan/{instance}/{loId}/user/{userId}"),
    "createEnrolment": ("POST", "/enrolment/{instance}/{parentLoId}/{loId}/enrolment/{statusOrEmail}"),
    "createEnrolments": ("POST", "/enrolment/{instance}/enrolment"),
    "createPlanPlay": ("POST", "/api/plan-plays"),
    "createStudentEnrolment": ("POST", "/enrolment/{instance}/{parentLoId}/{loId}/enrolment/{statusOrEmail}/{status}"),
    "createStudentEnrolments": ("POST", "/enrolment/{instance}/enrolment/{studentEmail}"),
    "createSubscriptionPlan": ("POST", "/plans"),
    "deleteSubscriptionPlan": ("DELETE", "/plans/{plan_id}"),
    "getActiveEnrolment": ("GET", "/enrolment/{instance}/lo/{loId}/user/{userId}"),
    "getClient": ("GET", "/admin/clients/{clientId}"),
    "getCompany": ("GET", "/admin/companies/{companyId}"),
    "getCoupon": ("GET", "/admin/coupons/{code}"),
    "getEnrolment": ("GET", "/enrolment/enrolment/{enrolmentId}"),
    "getGroup": ("GET", "/admin/portals/{portalId}/groups/{groupId}"),
    "getLearningObject": ("GET", "/admin/los/{loId}"),
    "getPlan": ("GET", "/enrolment/plan/{planId}"),
    "getPlanPlay": ("GET", "/api/plan-plays/{planPlayId}"),
    "getPortal": ("GET", "/admin/portals/{portalId}"),
    "getProduct": ("GET", "/admin/products/{productId}"),
    "getSubscriptionPlan": ("GET", "/plans/{plan_id}"),
    "getUsage": ("GET", "/api/usage"),
    "getUser": ("GET", "/admin/portals/{portalId}/users/{userId}"),
    "issueCreditTokens": ("POST", "/admin/portals/{portalId}/credit-tokens"),
    "listCatalogAudit": ("GET", "/admin/audit/{day}"),
    "listEnrolmentHistory": ("GET", "/enrolment/enrolment/{enrolmentId}/history"),
    "listPlanPlays": ("GET", "/api/plan-plays"),
    "listSubscriptionPlans": ("GET", "/plans"),
    "listUserEnrolments": ("GET", "/enrolment/{instance}/user/{userId}/enrolments"),
    "putClient": ("PUT", "/admin/clients/{clientId}"),
    "putCompany": ("PUT", "/admin/companies/{companyId}"),
    "putCoupon": ("PUT", "/admin/coupons/{code}"),
    "putGroup": ("PUT", "/admin/portals/{portalId}/groups/{groupId}"),
    "putLearningObject": ("PUT", "/admin/los/{loId}"),
    "putPortal": ("PUT", "/admin/portals/{portalId}"),
    "putProduct": ("PUT", "/admin/products/{productId}"),
    "putUser": ("PUT", "/admin/portals/{portalId}/users/{userId}"),
    "topUpClientCredits": ("POST", "/admin/clients/{clientId}/credits"),
    "updateEnrolment": ("PUT", "/enrolment/enrolment/{enrolmentId}"),
    "updatePlanPlay": ("PATCH", "/api/plan-plays/{planPlayId}"),
    "updateSubscriptionPlan": ("PUT", "/plans/{plan_id}"),
    "withdrawEnrolment": ("DELETE", "/enrolment/enrolment/{enrolmentId}"),
    "getGroupAssignment": ("GET", "/enrolment/plan/group-assignment/{id}"),
    "listUserPlans": ("GET", "/enrolment/plan/{instance}/user/{userId}"),
    "assignPlanToUsers": ("POST", "/enrolment/plan/{instance}/{loId}/users"),
    "unassignPlan": ("DELETE", "/enrolment/plan/{planId}"),
    "updatePlanDueDate": ("PATCH", "/enrolment/plan/{planId}"),
    "listPaymentMethods": ("GET", "/payment_methods"),
    "createPaymentMethod": ("POST", "/payment_methods"),
    "deletePaymentMethod": ("DELETE", "/payment_methods/{method_id}"),
    "getPaymentMethod": ("GET", "/payment_methods/{method_id}"),
    "createEnrolmentInProgress": ("POST", "/enrolment/{instance}/{parentLoId}/{loId}/enrolment"),
    "listInvoices": ("GET", "/invoices"),
    "getInvoice": ("GET", "/invoices/{invoice_id}"),
    "listOrders": ("GET", "/orders"),
    "getOrder": ("GET", "/orders/{order_id}"),
    "listPayments": ("GET", "/payments"),
    "getPayment": ("GET", "/payments/{payment_id}"),
    "listSubscriptions": ("GET", "/subscriptions"),
    "createSubscription": ("POST", "/subscriptions"),
    "getSubscription": ("GET", "/subscriptions/{subscription_id}"),
    "startSubscription": ("POST", "/subscriptions/{subscription_id}/start"),
    "stopSubscription": ("POST", "/subscriptions/{subscription_id}/stop"),
    "updateSubscription": ("POST", "/subscriptions/{subscription_id}/update"),
    "listUserSubscriptions": ("GET", "/users/{user_id}/subscriptions"),
}


def operations() -> list[tuple[str, str, str]]:
    """(operationId, METHOD, path) of every operation of the committed document."""
    paths = json.loads(DOCUMENT.read_text())["paths"]
    return [
        (op.get("operationId", ""), method.upper(), path) for path, ops in paths.items() for method, op in ops.items()
    ]


def test_every_operation_has_a_short_camel_case_id() -> None:
    bad = [(i, m, p) for i, m, p in operations() if not CAMEL_CASE.match(i)]

    assert bad == [], "give these routes an explicit operation_id= (camelCase)"


def test_operation_ids_are_unique() -> None:
    ids = [i for i, _, _ in operations()]

    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_the_ids_clients_were_generated_with_stay_the_same() -> None:
    found = {i: (m, p) for i, m, p in operations()}

    assert {i: found.get(i) for i in STABLE} == STABLE
