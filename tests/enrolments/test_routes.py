"""The enrolment routes share prefixes with each other and with the plan routes; each request
shape must reach its own function, locally as on API Gateway."""

from __future__ import annotations

from collections import defaultdict

import pytest

from planhub_local.gateway import Gateway
from planhub_local.template import Template

ENROLMENT_FUNCTIONS = {
    "CreateEnrolmentFunction",
    "CreateStudentEnrolmentFunction",
    "CreateEnrolmentsFunction",
    "CreateStudentEnrolmentsFunction",
    "UpdateEnrolmentFunction",
    "GetEnrolmentFunction",
    "ListEnrolmentHistoryFunction",
    "WithdrawEnrolmentFunction",
    "ListUserEnrolmentsFunction",
    "GetActiveEnrolmentFunction",
}

# The local gateway's route matching needs only the template's routes, not a running stack.
GATEWAY = Gateway.__new__(Gateway)
GATEWAY.routes = Template().routes()


def test_api_gateway_would_accept_the_enrolment_resources() -> None:
    # API Gateway refuses two differently named path variables under one resource
    # ("A sibling ({x}) of this resource already has a variable path part").
    routes = Template().routes()
    variables: dict[str, set[str]] = defaultdict(set)
    for route in routes:
        segments = route.path.strip("/").split("/")
        for depth, segment in enumerate(segments):
            if segment.startswith("{"):
                variables["/" + "/".join(segments[:depth])].add(segment)
    ours = [r.path for r in routes if r.function in ENROLMENT_FUNCTIONS]

    conflicts = {
        parent: names
        for parent, names in variables.items()
        if len(names) > 1 and any(path.startswith(parent + "/") for path in ours)
    }

    assert conflicts == {}


@pytest.mark.parametrize(
    ("method", "path", "function"),
    [
        ("POST", "/enrolment/acme.example.com/0/lo-1/enrolment/in-progress", "CreateEnrolmentFunction"),
        ("POST", "/enrolment/p-acme/m1/i1/enrolment/ada@example.com/pending", "CreateStudentEnrolmentFunction"),
        ("POST", "/enrolment/p-acme/enrolment", "CreateEnrolmentsFunction"),
        ("POST", "/enrolment/p-acme/enrolment/ada.lovelace@example.com", "CreateStudentEnrolmentsFunction"),
        ("PUT", "/enrolment/enrolment/912721887182328033", "UpdateEnrolmentFunction"),
        ("GET", "/enrolment/enrolment/912721887182328033", "GetEnrolmentFunction"),
        ("GET", "/enrolment/enrolment/912721887182328033/history", "ListEnrolmentHistoryFunction"),
        ("DELETE", "/enrolment/enrolment/912721887182328033", "WithdrawEnrolmentFunction"),
        ("GET", "/enrolment/p-acme/user/u1/enrolments", "ListUserEnrolmentsFunction"),
        ("GET", "/enrolment/acme.example.com/lo/c1/user/u1", "GetActiveEnrolmentFunction"),
    ],
)
def test_each_request_shape_reaches_its_own_function(method: str, path: str, function: str) -> None:
    found = GATEWAY.route_for(method, path)

    assert found is not None
    assert found[0].function == function
