"""Property-based fuzzing of every public operation with schemathesis (4.x), through the gateway.

How it runs: the ``stack`` is async (one event loop shared with Postgres/Redis/Kafka clients), so
schemathesis's synchronous ``case.call()`` (Starlette's TestClient, its own loop and thread)
cannot reach it. Instead:

1. the schema is the gateway's live ``/openapi.json`` fetched with the async ``stack.client``
   and loaded with ``schemathesis.openapi.from_dict``;
2. for each operation, a plain synchronous ``@hypothesis.given`` function *collects* cases from
   ``operation.as_strategy()`` in positive and negative mode (``max_examples=8``,
   ``derandomize=True``, no example database: the same cases on every run, CI-stable) —
   generation needs no I/O;
3. each case is sent with ``stack.client`` (``case.as_transport_kwargs()`` mapped to httpx)
   carrying a freshly minted bearer for a registered user (the admin for admin routes), so a
   fuzzed logout only ever revokes its own token;
4. the response is checked with schemathesis's own ``not_a_server_error`` and
   ``negative_data_rejection`` (``case.validate_response``) and with our contract: every
   ``/api`` answer is a JSON success or error envelope (see ``assert_error``).

Redis is up here, so no fail-closed 503 can happen; the only tolerated 5xx are two deliberate,
documented states of this in-process stack, matched exactly (a real crash still fails):
Google sign-in is not configured (no Firebase project in tests) and ``/health`` reports
``degraded`` because only the auth and ledger services run behind this gateway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
)

from tests.conftest import Infra
from tests.e2e.conftest import Stack
from tests.e2e.owasp_support import (
    FILE_ROUTES,
    ROUTE_ACCESS,
    assert_error,
    forge,
    open_env,
    operations,
)

MAX_EXAMPLES = 8
BASE_URL = "http://testserver"
OPERATIONS = sorted(ROUTE_ACCESS)
DELIBERATE_5XX: dict[tuple[str, str], str] = {
    ("POST", "/api/auth/google"): "Google sign-in is not configured",
    ("GET", "/health"): "degraded",
}


@dataclass
class Fuzz:
    """The stack, its loaded schema, and tokens to mint bearers from."""

    stack: Stack
    schema: BaseSchema
    user_token: str
    admin_token: str


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fuzz(infra: Infra) -> AsyncIterator[Fuzz]:
    """One stack for every operation; limits high enough never to interfere."""
    async with open_env(infra) as env:
        stack = env.stack
        user = await stack.register()
        raw = (await stack.client.get("/openapi.json")).json()
        assert operations(raw) == set(OPERATIONS), "classify new routes in ROUTE_ACCESS"
        # The bearer is ours (a minted token on every case, the token matrix is the OWASP
        # suite's): schemathesis must not generate, or leave out, the security header itself.
        config = schemathesis.config.SchemathesisConfig.from_dict(
            {"generation": {"with-security-parameters": False}}
        )
        schema = schemathesis.openapi.from_dict(raw, config=config)
        yield Fuzz(stack, schema, user["access_token"], env.admin["access_token"])


def generate(operation: APIOperation[Any, Any, Any, Any]) -> list[Case[Any]]:
    """Deterministic positive and negative cases (an operation without inputs has no negative)."""
    cases: list[Case[Any]] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def collect(case: Case[Any]) -> None:
            cases.append(case)

        try:
            collect()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, f"no positive case for {operation.label}"
    return cases


async def send(
    client: httpx.AsyncClient, case: Case[Any], headers: dict[str, str]
) -> httpx.Response:
    """Send a case with httpx (schemathesis serialises it as for ``requests``)."""
    kwargs: dict[str, Any] = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif "data" in kwargs:
        body["content"] = kwargs["data"]
    return await client.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=kwargs["headers"],
        **body,
    )


# Answers the app reads as a bare body (the app's code decides, mobile-api.md).
UNWRAPPED = {("GET", "/api/transactions/by-date")}
#: Installment routes answer raw objects (mobile-api.md), their DELETE 204 No Content; so do
#: the affordability calls the app reads the body of (dynamic_threshold_service.dart:181, 220).
RAW_PREFIX = "/api/installments"
RAW_ROUTES = {
    ("POST", "/api/financial/dynamic-thresholds"),
    ("POST", "/api/financial/housing-affordability"),
    ("POST", "/api/errors/report"),
    ("POST", "/api/iap/validate"),
    ("GET", "/api/notifications/list"),
    ("GET", "/api/notifications/preferences"),
    ("PUT", "/api/notifications/preferences"),
    ("GET", "/api/notifications/{notification_id}"),
}


def check_contract(method: str, path: str, response: httpx.Response) -> None:
    """No 5xx but the deliberate ones; every /api answer is an envelope (or a file)."""
    if response.is_success and (method, path) in FILE_ROUTES:
        kind = response.headers["content-type"]
        assert kind.startswith(("application/x-ndjson", "application/vnd.apache.parquet")), kind
        return
    if response.status_code == 204:
        assert path.startswith(RAW_PREFIX), response.text
        assert not response.content, response.text
        return
    body = response.json()
    if response.status_code >= 500:
        expected = DELIBERATE_5XX.get((method, path))
        assert expected is not None, response.text
        assert response.status_code == 503, response.text
        assert expected in (body.get("detail") or body.get("status")), response.text
    if not path.startswith("/api"):
        return
    if response.is_success and (method, path) in UNWRAPPED:
        assert isinstance(body, list), response.text
        return
    if response.is_success and (path.startswith(RAW_PREFIX) or (method, path) in RAW_ROUTES):
        assert isinstance(body, dict), response.text
        assert "success" not in body, response.text
        return
    if response.is_success:
        assert body["success"] is True, response.text
        assert "data" in body
        assert isinstance(body["timestamp"], str)
        assert isinstance(body["request_id"], str)
    else:
        assert_error(response, response.status_code, body["error"]["code"])


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
async def test_fuzzed_operation_never_fails_the_contract(
    fuzz: Fuzz, method: str, path: str
) -> None:
    """Every generated request: no server error, invalid data rejected, envelopes throughout."""
    operation = fuzz.schema[path][method]
    cases = generate(operation)
    assert cases
    template = fuzz.admin_token if ROUTE_ACCESS[(method, path)] == "admin" else fuzz.user_token
    for case in cases:
        headers = fuzz.stack.bearer(forge(fuzz.stack, template))
        response = await send(fuzz.stack.client, case, headers)
        reproduce = case.as_curl_command(base_url=BASE_URL)
        try:
            check_contract(method, path, response)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nreproduce: {reproduce}") from exc
        if response.status_code < 500:
            case.validate_response(response, checks=[not_a_server_error, negative_data_rejection])


async def test_documented_validation_error_matches_the_answer(fuzz: Fuzz) -> None:
    """schemathesis's response_schema_conformance on a 422 from register."""
    case = fuzz.schema["/api/auth/register"]["POST"].Case(
        body={"email": "not-an-email", "password": "x"}, media_type="application/json"
    )
    response = await send(fuzz.stack.client, case, {})
    assert_error(response, 422)
    case.validate_response(response, checks=[response_schema_conformance])
