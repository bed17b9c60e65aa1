"""Mount the portal's assets and answer its two kinds of failure as pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from services.gateway.portal.pages import STATIC, page
from services.gateway.portal.session import LoginRequired
from services.gateway.portal.views import UpstreamFailed


def install_portal(app: FastAPI) -> None:
    """Static files under /admin/static; no session → the login page; a service's error →
    an error page (a 5xx shows as 502: the portal itself did not fail)."""
    app.mount("/admin/static", STATIC, name="portal-static")

    async def login_required(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/admin/login", status_code=303)

    async def upstream_failed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UpstreamFailed)
        status = exc.status if exc.status < 500 else 502
        return page("error.html", status, message=str(exc))

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(UpstreamFailed, upstream_failed)
