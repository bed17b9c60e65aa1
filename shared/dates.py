"""Date parameters as the app sends them: a plain day or an ISO-8601 instant.

The app sends ``toUtc().toIso8601String()`` (``2026-11-30T22:00:00.000Z``), a local
``toIso8601String()`` without offset, or ``YYYY-MM-DD``. A plain date is the user's local day;
a datetime is an instant (without offset: a wall-clock time in the user's zone). A start bound
includes moments at or after it, an end bound moments at or before it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2200, 12, 31)
ONE_MICROSECOND = dt.timedelta(microseconds=1)


def parse_day_or_instant(value: Any) -> dt.date | dt.datetime:
    """``YYYY-MM-DD`` as a date, anything longer as an ISO-8601 datetime (``ValueError`` else)."""
    if isinstance(value, dt.date):  # datetimes included
        return value
    if not isinstance(value, str):
        raise ValueError("expected a date (YYYY-MM-DD) or an ISO-8601 datetime")
    text = value.strip()
    try:
        parsed: dt.date | dt.datetime = (
            dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
        )
    except ValueError:
        raise ValueError(
            f"{value[:40]!r} is neither a date (YYYY-MM-DD) nor an ISO-8601 datetime"
        ) from None
    day = parsed.date() if isinstance(parsed, dt.datetime) else parsed
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"dates must lie between {EARLIEST} and {LATEST}")
    return parsed


DayOrInstant = Annotated[
    dt.date | dt.datetime,
    BeforeValidator(parse_day_or_instant),
    WithJsonSchema(
        {
            "type": "string",
            "description": "YYYY-MM-DD (a user-local day) or an ISO-8601 datetime (an instant)",
            "examples": ["2026-12-01", "2026-11-30T22:00:00.000Z"],
        }
    ),
]


def as_text(value: dt.date | dt.datetime) -> str:
    """The parameter as it is forwarded (ISO form, offset kept)."""
    return value.isoformat()


def instant(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A datetime as an instant: without offset it is a wall-clock time in ``zone``."""
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def local_day(value: dt.date | dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The user-local day a date parameter names."""
    if isinstance(value, dt.datetime):
        return instant(value, zone).astimezone(zone).date()
    return value


def start_bound(value: dt.date | dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    """Inclusive lower bound: a day's local midnight, or the instant itself."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return instant(value, zone)
    return dt.datetime.combine(value, dt.time.min, tzinfo=zone)


def end_bound(value: dt.date | dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    """Exclusive upper bound: the next local midnight after a day, or just after the instant."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return instant(value, zone) + ONE_MICROSECOND
    return dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def timezone_of(name: str | None, *, blank_is_none: bool = False) -> zoneinfo.ZoneInfo | None:
    """The zone an IANA name names (None for none; ``ValueError`` for an unknown one).

    ``blank_is_none``: an empty or blank name (an empty header) counts as none.
    """
    if name is None or (blank_is_none and not name.strip()):
        return None
    try:
        return zoneinfo.ZoneInfo(name.strip() if blank_is_none else name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA timezone {name!r}") from exc


def valid_timezone(value: str | None) -> str | None:
    """Pydantic check of an optional IANA timezone name in a body."""
    timezone_of(value)
    return value


#: An optional IANA zone name in a request body (unknown: 422).
Timezone = Annotated[str | None, AfterValidator(valid_timezone)]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))
