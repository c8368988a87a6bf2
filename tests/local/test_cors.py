"""CORS (docs/product.md "Everyday operations"): browsers' preflight answered by the gateway,
Access-Control-Allow-Origin on every answer: the functions', the authorizer's refusals and the gateway's own errors."""

from __future__ import annotations

from planhub_local import tokens
from planhub_local.client import Api
from planhub_local.template import Template

BROWSER = {"Origin": "https://app.example.com"}


def test_allowed_origins_are_a_template_parameter_defaulting_to_any() -> None:
    template = Template()

    assert template.raw["Parameters"]["AllowedOrigin"]["Default"] == "*"
    assert template.cors() is not None
    assert template.cors()["Access-Control-Allow-Origin"] == "*"  # type: ignore[index]
    for kind in ("UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"):
        headers = template.gateway_responses()[kind]["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == "'*'", kind


def test_a_preflight_is_answered_without_a_token(api: Api) -> None:
    headers = {**BROWSER, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "if-match"}

    answer = api.request("OPTIONS", "/enrolment/enrolment/123", headers=headers)

    assert answer.status == 200
    assert answer.header("Access-Control-Allow-Origin") == "*"
    assert "PUT" in (answer.header("Access-Control-Allow-Methods") or "")
    assert "If-Match" in (answer.header("Access-Control-Allow-Headers") or "")


def test_answers_of_the_functions_carry_the_origin_success_and_error_alike(api: Api) -> None:
    staff = tokens.staff()
    ok = api.put("/admin/portals/p-acme", {"name": "acme.example.com"}, token=staff, headers=BROWSER)
    missing = api.get("/admin/portals/p-nowhere", token=staff, headers=BROWSER)
    invalid = api.put("/admin/portals/p-acme", {"name": 5}, token=staff, headers=BROWSER)

    for answer in (ok, missing, invalid):
        assert answer.header("Access-Control-Allow-Origin") == "*", answer.status
    assert (ok.status, missing.status, invalid.status) == (200, 404, 400)


def test_the_gateways_own_refusals_carry_the_origin(api: Api) -> None:
    no_token = api.get("/admin/portals/p-acme", headers=BROWSER)
    unknown_path = api.get("/nowhere", token=tokens.staff(), headers=BROWSER)

    assert (no_token.status, unknown_path.status) == (401, 403)
    for answer in (no_token, unknown_path):
        assert answer.header("Access-Control-Allow-Origin") == "*"


def test_one_named_origin_goes_to_preflight_gateway_answers_and_the_functions() -> None:
    template = Template()
    template.parameters["AllowedOrigin"] = "https://app.example.com"

    assert template.cors()["Access-Control-Allow-Origin"] == "https://app.example.com"  # type: ignore[index]
    headers = template.gateway_responses()["DEFAULT_4XX"]["ResponseParameters"]["Headers"]
    assert headers["Access-Control-Allow-Origin"] == "'https://app.example.com'"
    environment = next(iter(template.functions().values())).environment
    assert environment["ALLOWED_ORIGIN"] == "https://app.example.com"
