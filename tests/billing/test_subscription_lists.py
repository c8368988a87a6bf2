"""Lists of subscriptions: status filter (default ACTIVE), admins see everyone, pages, sort."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.billing.conftest import Client, World, ms, payment_method


def future(days: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def test_lists_filter_by_status_and_show_admins_everyone(world: World) -> None:
    carol = Client(world.api, "carol")
    dave = Client(world.api, "dave")
    admin = Client(world.api, "admin-1", admin=True)
    plan = carol.plan()
    pm_carol = payment_method(world.stack, "carol")
    first = carol.subscribe(plan)["_id"]["$oid"]
    second = carol.subscribe(plan, starting_date={"$date": ms(future(10))})["_id"]["$oid"]
    carol.ok(carol.start(second, payment_method=pm_carol))
    third = dave.subscribe(plan)["_id"]["$oid"]

    def ids(answer: object) -> list[str]:
        return [s["_id"]["$oid"] for s in answer.json()]  # type: ignore[attr-defined]

    assert ids(carol.get("/subscriptions")) == []  # default status ACTIVE
    assert ids(carol.get("/subscriptions?status=CREATED")) == [first]
    assert ids(carol.get("/subscriptions?status=FUTURE")) == [second]
    assert ids(admin.get("/subscriptions?status=CREATED")) == [third, first]  # newest first
    assert ids(admin.get("/subscriptions?status=CREATED&sort=created")) == [first, third]
    assert ids(admin.get("/subscriptions?status=CREATED&size=1&page=2")) == [first]
    assert ids(admin.get("/subscriptions?status=CREATED&size=1&page=0")) == [third]
    assert ids(admin.get("/users/dave/subscriptions?status=CREATED")) == [third]
    assert ids(dave.get("/users/dave/subscriptions?status=CREATED")) == [third]
    assert dave.get("/users/carol/subscriptions?status=CREATED").status == 404
    assert carol.get("/subscriptions?status=NOPE").status == 400
    assert carol.get("/subscriptions?sort=name").status == 400
