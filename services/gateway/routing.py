"""Route registration shared by the gateway's routers: trailing-slash tolerant, never a redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

JSON = dict[str, Any]
Decorator = Callable[[Any], Any]


def slash_tolerant(router: APIRouter) -> Callable[..., Decorator]:
    """A ``route(method, path, **kwargs)`` decorator factory bound to ``router``."""

    def route(method: str, path: str, **kwargs: Any) -> Decorator:
        """Register a route at ``path`` and at ``path/`` (never a redirect), documented once."""

        def decorate(fn: Any) -> Any:
            router.add_api_route(path, fn, methods=[method], **kwargs)
            router.add_api_route(
                path + "/", fn, methods=[method], include_in_schema=False, **kwargs
            )
            return fn

        return decorate

    return route


def body(model: BaseModel) -> JSON:
    """The fields the caller sent, JSON-safe."""
    data: JSON = model.model_dump(mode="json", exclude_unset=True)
    return data
