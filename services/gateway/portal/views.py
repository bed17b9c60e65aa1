"""What the portal's pages show, fetched from the services with the admin's token (the same
calls as the admin API), and the charts drawn as SVG on the server (no script needed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from starlette.requests import Request

from services.gateway.portal.session import Session
from services.gateway.upstream import Upstream

#: Services the overview checks (the gateway asks each one's /health).
CHECKED = ("auth", "ledger", "budget", "ocr", "insights", "notifications", "ops")
PUSH_TYPES = frozenset(
    {"notifications.PushSent", "notifications.PushSkipped", "notifications.PushFailed"}
)


class UpstreamFailed(Exception):
    """A service answered an error the page shows."""

    def __init__(self, service: str, answer: httpx.Response) -> None:
        try:
            detail = str(answer.json().get("detail") or answer.status_code)
        except ValueError:
            detail = str(answer.status_code)
        super().__init__(f"{service}: {detail}")
        self.status = answer.status_code
        self.detail = detail


@dataclass(frozen=True)
class Calls:
    """The upstream calls one page makes, as the signed-in admin."""

    up: Upstream
    request: Request
    admin: Session

    async def answer(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call's raw answer."""
        return await self.up.call(
            service, method, path, request=self.request, token=self.admin.token, **kwargs
        )

    async def data(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        """One call's envelope data (``UpstreamFailed`` on an error)."""
        answer = await self.answer(service, method, path, **kwargs)
        if answer.status_code >= 400:
            raise UpstreamFailed(service, answer)
        return json.loads(answer.content, parse_float=Decimal)["data"]

    async def health(self) -> list[dict[str, str]]:
        """Each service's /health status."""
        out = []
        for service in CHECKED:
            try:
                answer = await self.up.call(service, "GET", "/health", bearer=False, timeout=3)
                status = str(answer.json().get("status", answer.status_code))
            except Exception as exc:  # a service that does not answer is shown as down
                status = f"down ({type(exc).__name__})"
            out.append({"service": service, "status": status})
        return out

    async def tail(self, service: str, last: int, types: frozenset[str] = frozenset()) -> Any:
        """The last events of a service's topic (optionally of some types), newest first."""
        got = await self.data(
            "ops", "GET", "/admin/events/tail", params={"service": service, "last": last}
        )
        events = [e for e in got if not types or e["type"] in types]
        return list(reversed(events))

    async def timeline(self, user: str, last: int = 200) -> list[dict[str, Any]]:
        """A user's events across every store (export filtered by user), newest first."""
        answer = await self.answer(
            "ops", "GET", "/admin/events/export", params={"user_id": user}, timeout=60
        )
        if answer.status_code >= 400:
            raise UpstreamFailed("ops", answer)
        events = [json.loads(line) for line in answer.text.splitlines() if line]
        events.sort(key=lambda e: e["occurred_at"], reverse=True)
        return events[:last]

    async def as_of(self, user: str, instant: str) -> dict[str, Any]:
        """The user's budget and ledger as of an instant (time travel)."""
        path = f"/admin/users/{user}/as-of"
        budget = await self.data("budget", "GET", path, params={"as_of": instant}, timeout=120)
        ledger = await self.data("ledger", "GET", path, params={"as_of": instant}, timeout=120)
        return {"budget": budget, "ledger": ledger}


def bar_chart(values: dict[str, int], width: int = 560, bar: int = 18) -> str:
    """A horizontal bar chart as SVG markup (labels and counts; no script, no style)."""
    if not values:
        return ""
    top = max(values.values()) or 1
    label_w, gap = 130, 6
    height = len(values) * (bar + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="events per stream">'
    ]
    for i, (name, count) in enumerate(values.items()):
        y = gap + i * (bar + gap)
        length = int((width - label_w - 80) * count / top)
        parts.append(
            f'<text x="0" y="{y + bar - 5}" font-size="12">{_escape(name)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{max(length, 1)}" height="{bar}" '
            f'fill="#3b6ea5"/>'
            f'<text x="{label_w + length + 6}" y="{y + bar - 5}" font-size="12">{count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
