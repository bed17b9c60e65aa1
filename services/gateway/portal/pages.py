"""The portal's pages and form actions (``/admin``): admins only, CSRF on every form, each
action on the audit log and, for accounts, an event naming the admin."""

from __future__ import annotations

import functools
import hmac
import json
import logging
import uuid
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Form, Query, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from services.gateway.audit import audit
from services.gateway.deps import Services
from services.gateway.portal import session as s
from services.gateway.portal.views import PUSH_TYPES, Calls, UpstreamFailed, bar_chart
from shared import tokens
from shared.api import ApiError

router = APIRouter(prefix="/admin", include_in_schema=False)
HERE = Path(__file__).parent
STATIC = StaticFiles(directory=HERE / "static")
Text = Annotated[str, Form(max_length=500)]


@functools.cache
def templates() -> jinja2.Environment:
    """The page templates (autoescaped), loaded on first use."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A rendered page."""
    return HTMLResponse(templates().get_template(template).render(**values), status_code=status)


def back(to: str) -> RedirectResponse:
    """After a form: see the page again (303: the browser GETs it)."""
    return RedirectResponse(to, status_code=303)


def acted(request: Request, admin: s.Session, action: str, status: int, **target: Any) -> None:
    """Put a portal action on the audit log."""
    audit(
        "admin.action", request, level=logging.INFO, admin=str(admin.claims.sub),
        action=action, status=status, via="portal", **{k: str(v) for k, v in target.items()},
    )  # fmt: skip


@router.get("/login")
async def login_form(request: Request, error: str = "") -> Response:
    """The sign-in form (a double-submit cookie guards it)."""
    nonce = s.login_nonce()
    answer = page("login.html", csrf=nonce, error=error[:200])
    s.set_cookie(answer, s.LOGIN_COOKIE, nonce, request.app.state.settings)
    return answer


@router.post("/login")
async def login(
    request: Request,
    up: Services,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Sign in with an admin account's email and password (the auth service checks them)."""
    expected = request.cookies.get(s.LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf, expected):
        return page("login.html", 403, csrf=expected, error="The form expired; try again")
    answer = await up.call(
        "auth", "POST", "/auth/login", request=request, bearer=False,
        json={"email": email, "password": password},
    )  # fmt: skip
    if answer.status_code != 200:
        audit("auth.login_failed", request, via="portal", status=answer.status_code)
        return page("login.html", 401, csrf=expected, error="Wrong email or password")
    token = str(answer.json()["data"]["access_token"])
    secret = request.app.state.settings.secret_key.get_secret_value()
    claims = tokens.verify(secret, token, "access")
    if tokens.ADMIN_SCOPE not in claims.scopes:
        audit("authz.forbidden", request, via="portal", reason="not an admin")
        return page("login.html", 403, csrf=expected, error="This account is not an admin")
    done = back("/admin")
    s.set_cookie(done, s.COOKIE, token, request.app.state.settings)
    done.delete_cookie(s.LOGIN_COOKIE, path=s.PATH)
    return done


@router.post("/logout")
async def logout(request: Request, admin: s.Posted, up: Services) -> Response:
    """Sign out: the session's token is revoked and the cookie dropped."""
    await up.call("auth", "POST", "/auth/logout", request=request, json={}, token=admin.token)
    done = back("/admin/login")
    done.delete_cookie(s.COOKIE, path=s.PATH)
    return done


@router.get("")
async def overview(request: Request, admin: s.Admin, up: Services) -> Response:
    """Services' health, event streams and rates, projection lag, a chart."""
    calls = Calls(up, request, admin)
    streams = await calls.data("ops", "GET", "/admin/events/streams")
    lag = await calls.data("ops", "GET", "/admin/projections")
    try:  # the insights service may be down: the rest of the overview still shows
        insights = await calls.data("insights", "GET", "/admin/insights", params={"days": 14})
    except (UpstreamFailed, ApiError):
        insights = None
    chart = bar_chart({st["service"]: st["events"] for st in streams})
    behind = [row for row in lag if row["lag_events"] > 0]
    return page(
        "overview.html", admin=admin, active="overview", health=await calls.health(),
        streams=streams, behind=behind, consumers=len({r["projection"] for r in lag}),
        chart=chart, insights=insights,
    )  # fmt: skip


@router.get("/users")
async def users(
    request: Request,
    admin: s.Admin,
    up: Services,
    q: Annotated[str, Query(max_length=120, pattern=r"^[^\x00]*$")] = "",
) -> Response:
    """Search accounts; lock, unlock or revoke their tokens."""
    found = await Calls(up, request, admin).data(
        "auth", "GET", "/admin/users", params={"q": q, "limit": 50}
    )
    return page("users.html", admin=admin, active="users", users=found, q=q)


@router.post("/users/{user_id}/{action}")
async def account_action(
    user_id: uuid.UUID,
    action: str,
    request: Request,
    admin: s.Posted,
    up: Services,
    reason: Text = "",
) -> Response:
    """Lock, unlock or revoke an account's tokens (an event on the account)."""
    if action not in ("lock", "unlock", "revoke-tokens"):
        return page("error.html", 404, admin=admin, active="users", message="No such action")
    body = {"reason": reason or "locked from the admin portal"} if action == "lock" else None
    answer = await Calls(up, request, admin).answer(
        "auth", "POST", f"/admin/users/{user_id}/{action}", json=body
    )
    acted(request, admin, action, answer.status_code, user=user_id)
    if answer.status_code >= 400:
        message = UpstreamFailed("auth", answer).detail
        return page("error.html", answer.status_code, admin=admin, active="users", message=message)
    return back(f"/admin/users/{user_id}")


@router.get("/users/{user_id}")
async def user(
    user_id: uuid.UUID,
    request: Request,
    admin: s.Admin,
    up: Services,
    as_of: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """One account: its event timeline and, on request, its state as of an instant."""
    calls = Calls(up, request, admin)
    timeline = await calls.timeline(str(user_id))
    state: dict[str, Any] | None = None
    error = ""
    if as_of:
        try:
            state = await calls.as_of(str(user_id), as_of)
        except UpstreamFailed as exc:
            error = exc.detail
    return page(
        "user.html", admin=admin, active="users", user_id=str(user_id), timeline=timeline,
        as_of=as_of, state=state, error=error, dumps=lambda v: json.dumps(v, default=str),
    )  # fmt: skip


@router.get("/projections")
async def projections(request: Request, admin: s.Admin, up: Services) -> Response:
    """Every consumer's lag; rebuild a projection blue/green."""
    rows = await Calls(up, request, admin).data("ops", "GET", "/admin/projections")
    for i, row in enumerate(rows):  # one rebuild button per projection, on its first source
        row["first"] = i == 0 or rows[i - 1]["projection"] != row["projection"]
    return page("projections.html", admin=admin, active="projections", rows=rows)


@router.post("/projections/{name}/rebuild")
async def rebuild(name: str, request: Request, admin: s.Posted, up: Services) -> Response:
    """Start a blue/green rebuild, then follow it."""
    answer = await Calls(up, request, admin).answer(
        "ops", "POST", f"/admin/projections/{name}/rebuild"
    )
    acted(request, admin, "rebuild", answer.status_code, projection=name)
    if answer.status_code >= 400 and answer.status_code != 409:
        message = UpstreamFailed("ops", answer).detail
        return page("error.html", answer.status_code, admin=admin, active="projections",
                    message=message)  # fmt: skip
    return back(f"/admin/projections/{name}")


@router.get("/projections/{name}")
async def rebuild_progress(name: str, request: Request, admin: s.Admin, up: Services) -> Response:
    """A rebuild's phase and progress (the page refreshes itself while it runs)."""
    answer = await Calls(up, request, admin).answer(
        "ops", "GET", f"/admin/projections/{name}/rebuild"
    )
    job = answer.json()["data"] if answer.status_code == 200 else None
    return page("rebuild.html", admin=admin, active="projections", name=name, job=job)


@router.get("/dead-letters")
async def dead_letters(request: Request, admin: s.Admin, up: Services) -> Response:
    """Dead letters not re-driven yet."""
    letters = await Calls(up, request, admin).data("ops", "GET", "/admin/dead-letters")
    return page("dead_letters.html", admin=admin, active="dead-letters", letters=letters)


@router.post("/dead-letters/{projection}/{service}/{position}/redrive")
async def redrive(
    projection: str, service: str, position: int, request: Request, admin: s.Posted,
    up: Services,
) -> Response:  # fmt: skip
    """Apply a dead letter again from its store."""
    path = f"/admin/dead-letters/{projection}/{service}/{position}/redrive"
    answer = await Calls(up, request, admin).answer("ops", "POST", path)
    acted(request, admin, "redrive", answer.status_code, projection=projection,
          at=f"{service}@{position}")  # fmt: skip
    if answer.status_code >= 400:
        message = UpstreamFailed("ops", answer).detail
        return page("error.html", answer.status_code, admin=admin, active="dead-letters",
                    message=message)  # fmt: skip
    return back("/admin/dead-letters")


@router.get("/ocr")
async def ocr_jobs(request: Request, admin: s.Admin, up: Services) -> Response:
    """The latest receipt-reading events (jobs queued, read, failed)."""
    events = await Calls(up, request, admin).tail("ocr", 100)
    return page("events.html", admin=admin, active="ocr", title="OCR jobs", events=events)


@router.get("/push")
async def push_outbox(request: Request, admin: s.Admin, up: Services) -> Response:
    """The latest push deliveries (sent, recorded in the outbox, skipped, failed)."""
    events = await Calls(up, request, admin).tail("notifications", 300, PUSH_TYPES)
    return page("events.html", admin=admin, active="push", title="Push outbox", events=events)


@router.get("/clusters")
async def clusters(request: Request, admin: s.Admin, up: Services) -> Response:
    """The behavioural clusters' sizes and model."""
    figures = await Calls(up, request, admin).data(
        "insights", "GET", "/admin/insights", params={"days": 30}
    )
    chart = bar_chart(dict(sorted(figures["cluster_sizes"].items())))
    return page("clusters.html", admin=admin, active="clusters", figures=figures, chart=chart)
