"""Date parameters: a day or an instant, and the bounds they give in a user's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel

from shared.dates import DayOrInstant, end_bound, local_day, parse_day_or_instant, start_bound

SOFIA = ZoneInfo("Europe/Sofia")


class Query(BaseModel):
    """A model with one date parameter."""

    when: DayOrInstant


def test_the_apps_forms_parse() -> None:
    assert Query.model_validate({"when": "2026-12-01"}).when == dt.date(2026, 12, 1)
    utc = Query.model_validate({"when": "2026-11-30T22:00:00.000Z"}).when
    assert utc == dt.datetime(2026, 11, 30, 22, tzinfo=dt.UTC)
    naive = Query.model_validate({"when": "2026-12-01T14:23:11.123456"}).when
    assert isinstance(naive, dt.datetime)
    assert naive.tzinfo is None
    assert parse_day_or_instant(dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "1800-01-01", 20261201, ""])
def test_anything_else_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (pydantic's and ours alike)
        parse_day_or_instant(bad)


def test_bounds_in_the_users_zone() -> None:
    day = dt.date(2026, 12, 1)
    assert start_bound(day, SOFIA) == dt.datetime(2026, 12, 1, tzinfo=SOFIA)
    assert end_bound(day, SOFIA) == dt.datetime(2026, 12, 2, tzinfo=SOFIA)
    instant = dt.datetime(2026, 11, 30, 22, tzinfo=dt.UTC)
    assert start_bound(instant, SOFIA) == instant
    end = end_bound(instant, SOFIA)
    assert end is not None
    assert end > instant  # an end instant includes itself
    naive = dt.datetime(2026, 12, 1, 0, 30)
    assert start_bound(naive, SOFIA) == dt.datetime(2026, 12, 1, 0, 30, tzinfo=SOFIA)
    assert (start_bound(None, SOFIA), end_bound(None, SOFIA)) == (None, None)
    assert local_day(instant, SOFIA) == day  # 00:00 in Sofia
    assert local_day(naive, SOFIA) == day
    assert local_day(day, SOFIA) == day
