"""Write the gateway's OpenAPI document to a file (``make openapi`` → ``docs/openapi.json``).

The document is built from the routes alone: no server is reached.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from services.gateway.main import create_app
from services.gateway.settings import GatewaySettings


def document() -> dict[str, Any]:
    """The public OpenAPI document the gateway serves at ``/openapi.json``."""
    # Placeholders: only parsed to build clients that are never used here.
    settings = GatewaySettings(
        environment="dev",
        database_url="postgresql://127.0.0.1:5432/unused",
        kafka_bootstrap="127.0.0.1:9092",
        redis_url="redis://127.0.0.1:6379/0",
    )
    schema: dict[str, Any] = create_app(settings).openapi()
    return schema


def render(schema: dict[str, Any]) -> str:
    """The document as it is committed (stable key order, one trailing newline)."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document to the path given (default ``docs/openapi.json``)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0] if args else "docs/openapi.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(document()), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
