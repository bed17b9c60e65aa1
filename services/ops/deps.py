"""Ops service dependencies: its context (settings, a read pool, the rebuilds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from services.ops.jobs import Rebuilds
from services.ops.settings import OpsSettings
from shared.api import ApiError
from shared.bootstrap import ConsumerSpec


@dataclass
class OpsContext:
    """Everything the ops API uses, built once per process in the app's lifespan."""

    settings: OpsSettings
    pool: AsyncConnectionPool[Any]
    rebuilds: Rebuilds

    @staticmethod
    def spec(name: str) -> ConsumerSpec:
        """A consumer by name (404 for an unknown one)."""
        from services import catalog

        spec = catalog.PROJECTIONS.get(name)
        if spec is None:
            raise ApiError(
                404, "No such projection", details={"known": sorted(catalog.PROJECTIONS)}
            )
        return spec


def get_context(request: Request) -> OpsContext:
    """The process's ops context."""
    ctx: OpsContext = request.app.state.ops
    return ctx


Context = Annotated[OpsContext, Depends(get_context)]
