"""shared.jsonutil (exact Decimal JSON) and shared.api (envelopes, errors, handlers)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from shared import jsonutil
from shared.api import (
    STATUS_CODES,
    ApiError,
    JSONResponse,
    envelope,
    error_body,
    install_error_handlers,
    ok,
    validation_details,
)
from shared.observability import request_id_var


class Color(enum.Enum):
    RED = "red"
    TWO = 2


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: Decimal
    tags: list[str]


class Money(BaseModel):
    amount: Decimal
    at: dt.date
    nested: Point | None = None


def text(obj: Any) -> str:
    """jsonutil.dumps as text."""
    return jsonutil.dumps(obj).decode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("42.10"), "42.10"),
        (Decimal("0.00"), "0.00"),
        (Decimal("-3.5"), "-3.5"),
        (Decimal("123456789012345678901234567890.12"), "123456789012345678901234567890.12"),
        (Decimal("1E+30"), "1" + "0" * 30),
        (Decimal("1.5E-7"), "0.00000015"),
        (Decimal("-0"), "0"),
        (Decimal("-0.00"), "0.00"),
        (Decimal("0.1") + Decimal("0.2"), "0.3"),
    ],
)
def test_decimal_is_an_exact_json_number(value: Decimal, expected: str) -> None:
    assert text(value) == expected
    assert json.loads(text({"v": value}), parse_float=Decimal)["v"] == value


def test_money_never_goes_through_float() -> None:
    total = sum((Decimal("0.1") for _ in range(10)), Decimal("0"))
    assert text([total, Decimal("19.99") * 3]) == "[1.0,59.97]"
    big = Decimal("9007199254740993.01")  # beyond float precision
    assert text(big) == "9007199254740993.01"
    assert float(big) != big


@pytest.mark.parametrize("value", [Decimal("-0.0"), Decimal("-0.000")])
def test_every_negative_zero_loses_its_sign(value: Decimal) -> None:
    assert not text(value).startswith("-")


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")])
def test_non_finite_decimal_is_refused(value: Decimal) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        jsonutil.dumps({"amount": value})


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_float_is_refused(value: float) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        jsonutil.dumps({"ratio": value})


def test_other_types() -> None:
    uid = uuid.UUID("12345678-1234-5678-1234-567812345678")
    at = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    value = {
        "at": at,
        "day": dt.date(2024, 2, 29),
        "time": dt.time(7, 8),
        "id": uid,
        "enum": Color.RED,
        "enum_int": Color.TWO,
        "int_enum": Level.HIGH,
        "point": Point(Decimal("1.10"), ["a"]),
        "model": Money(
            amount=Decimal("2.50"), at=dt.date(2024, 1, 1), nested=Point(Decimal("3"), [])
        ),
        "tuple": (1, "two", None, True, False),
        "set": {7},
        "ratio": 0.25,
        "unicode": 'naïve "quoted"\n',
        7: "int key",
    }
    out = text(value)
    assert '"model":{"amount":2.50,"at":"2024-01-01","nested":{"x":3,"tags":[]}}' in out
    assert '"point":{"x":1.10,"tags":["a"]}' in out
    assert json.loads(out) == {
        "at": "2024-01-02T03:04:05+00:00",
        "day": "2024-02-29",
        "time": "07:08:00",
        "id": str(uid),
        "enum": "red",
        "enum_int": 2,
        "int_enum": 3,
        "point": {"x": 1.1, "tags": ["a"]},
        "model": {"amount": 2.5, "at": "2024-01-01", "nested": {"x": 3, "tags": []}},
        "tuple": [1, "two", None, True, False],
        "set": [7],
        "ratio": 0.25,
        "unicode": 'naïve "quoted"\n',
        "7": "int key",
    }
    assert jsonutil.dumps("é") == b'"\\u00e9"'


@pytest.mark.parametrize("value", [b"bytes", object(), Point, complex(1, 2), iter([1])])
def test_unknown_type_is_a_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match="cannot serialise"):
        jsonutil.dumps({"x": [value]})


def test_envelope_and_ok() -> None:
    body = envelope({"n": Decimal("1.00")}, "Created", meta={"page": 1})
    assert body["success"] is True
    assert (body["message"], body["data"], body["meta"]) == (
        "Created",
        {"n": Decimal("1.00")},
        {"page": 1},
    )
    assert dt.datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    assert len(body["request_id"]) == 32
    assert "meta" not in envelope(None)
    assert envelope(None)["request_id"] != envelope(None)["request_id"]
    token = request_id_var.set("rid-7")
    try:
        assert envelope([])["request_id"] == "rid-7"
    finally:
        request_id_var.reset(token)
    response = ok({"amount": Decimal("42.10")}, status=201, headers={"X-Extra": "1"})
    assert isinstance(response, JSONResponse)
    assert response.status_code == 201
    assert response.headers["x-extra"] == "1"
    assert response.media_type == "application/json"
    assert b'"data":{"amount":42.10}' in response.body


def test_api_error_defaults_and_www_authenticate() -> None:
    err = ApiError(401, "Not authenticated")
    assert (err.status, err.message, err.code, err.details) == (
        401,
        "Not authenticated",
        "unauthorized",
        {},
    )
    assert err.headers == {"WWW-Authenticate": "Bearer"}
    assert str(err) == "Not authenticated"
    custom = ApiError(401, "x", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    assert custom.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    forbidden = ApiError(403, "no", details={"required": ["admin"]})
    assert (forbidden.code, forbidden.headers, forbidden.details) == (
        "forbidden",
        {},
        {"required": ["admin"]},
    )
    assert ApiError(418, "teapot").code == "error"
    assert ApiError(409, "dup", code="email_taken").code == "email_taken"


def test_error_body_shape() -> None:
    body = error_body(404, "Not found", details={"id": "x"})
    assert set(body) == {"success", "detail", "error"}
    assert body["success"] is False
    assert body["detail"] == "Not found"
    error = body["error"]
    assert set(error) == {"code", "message", "error_id", "timestamp", "details"}
    assert (error["code"], error["message"], error["details"]) == (
        "not_found",
        "Not found",
        {"id": "x"},
    )
    assert len(error["error_id"]) == 32
    assert error_body(404, "a")["error"]["error_id"] != error["error_id"]
    assert error_body(500, "boom", code="custom")["error"]["code"] == "custom"
    assert error_body(599, "odd")["error"]["details"] == {}
    assert error_body(599, "odd")["error"]["code"] == "error"
    assert all(code.isidentifier() for code in STATUS_CODES.values())


class Item(BaseModel):
    name: str = Field(min_length=1)
    price: Decimal = Field(ge=0)
    tags: list[int] = []


def tiny_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/items")
    async def create(item: Item) -> JSONResponse:
        return ok({"price": item.price}, status=201)

    @app.get("/search")
    async def search(limit: int) -> JSONResponse:
        return ok({"limit": limit})

    @app.get("/secret")
    async def secret() -> JSONResponse:
        raise ApiError(401, "Not authenticated")

    @app.get("/boom")
    async def boom() -> JSONResponse:
        raise RuntimeError("database password is hunter2")

    return app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(tiny_app(), raise_server_exceptions=False)


def assert_error(body: dict[str, Any], code: str) -> None:
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert body["detail"] == body["error"]["message"]


def test_success_keeps_decimal_digits(client: TestClient) -> None:
    response = client.post("/items", json={"name": "pen", "price": "1.10"})
    assert response.status_code == 201
    assert b'"price":1.10' in response.content
    assert response.json()["success"] is True


def test_validation_error_is_422_with_field_details(client: TestClient) -> None:
    response = client.post("/items", json={"name": "", "price": -1, "tags": [1, "x"]})
    assert response.status_code == 422
    body = response.json()
    assert_error(body, "validation_error")
    errors = body["error"]["details"]["validation_errors"]
    assert {e["field"] for e in errors} == {"name", "price", "tags.1"}
    assert all(set(e) == {"field", "message", "type"} for e in errors)
    by_field = {e["field"]: e for e in errors}
    assert by_field["name"]["type"] == "string_too_short"
    assert by_field["price"]["type"] == "greater_than_equal"
    missing = client.get("/search").json()["error"]["details"]["validation_errors"]
    assert missing == [{"field": "limit", "message": "Field required", "type": "missing"}]
    no_body = client.post("/items").json()["error"]["details"]["validation_errors"]
    assert [e["field"] for e in no_body] == ["body"]


def test_field_named_like_a_location_keeps_its_name() -> None:
    errors = [{"loc": ("body", "query"), "msg": "Field required", "type": "missing"}]
    assert validation_details(errors)["validation_errors"][0]["field"] == "query"


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/items", content=b'{"name": "pen", "price": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert_error(response.json(), "malformed_json")
    assert response.json()["detail"] == "Malformed JSON body"


def test_unknown_route_is_404_envelope(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert_error(response.json(), "not_found")
    assert response.json()["detail"] == "Not found"


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    response = client.delete("/items")
    assert response.status_code == 405
    assert_error(response.json(), "method_not_allowed")
    assert "POST" in response.headers["allow"]


def test_api_error_is_rendered_with_www_authenticate(client: TestClient) -> None:
    response = client.get("/secret")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert_error(response.json(), "unauthorized")


def test_unhandled_exception_is_500_without_traceback(client: TestClient) -> None:
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_error(body, "internal_error")
    assert body["detail"] == "Internal server error"
    for leak in ("hunter2", "Traceback", "RuntimeError", "test_jsonutil_api"):
        assert leak not in response.text


JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.dates()
    | st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: round(f, 3))
)
JSON_DOCS = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON_DOCS)
def test_the_fast_path_writes_what_the_pure_encoder_writes(doc: Any) -> None:
    fast = jsonutil.dumps(doc)
    assert fast.isascii()
    assert json.loads(fast) == json.loads(jsonutil._encoded(doc))
    assert json.loads(fast, parse_float=Decimal) == json.loads(
        jsonutil._encoded(doc), parse_float=Decimal
    )


def test_astral_characters_are_surrogate_escapes_as_json_dumps_writes_them() -> None:
    expected = json.dumps({"m": "Café 😀"}, separators=(",", ":")).encode()
    assert jsonutil.dumps({"m": "Café 😀"}) == expected == jsonutil._encoded({"m": "Café 😀"})


def test_what_orjson_cannot_write_falls_back() -> None:
    assert jsonutil.dumps([2**80, dt.time(7, 8, tzinfo=dt.UTC)]) == b'[%d,"07:08:00+00:00"]' % 2**80
    with pytest.raises(ValueError, match="non-finite"):
        jsonutil.dumps({"inside": Ratio(float("nan"))})  # a dataclass orjson writes natively


@dataclasses.dataclass
class Ratio:
    value: float
