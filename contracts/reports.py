"""The app's error reports (core/error_handling.dart:67-81): camelCase, sent without a valid
token; the answer is raw ``{status, report_id}`` (202). ``error`` is required, as in the app."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

ERROR_REPORTED: Final = "insights.ErrorReportReceived"
#: Longer texts are cut, not refused: the app drops a report answered with a 4xx.
MAX_TEXT: Final = 4000
MAX_STACK: Final = 20000


class ErrorReportIn(BaseModel):
    """``POST /errors/report`` (``userId`` is the client's claim: never stored)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, str_max_length=200_000)

    id: Annotated[str, Field(max_length=200)] | None = None
    timestamp: Annotated[str, Field(max_length=100)] | None = None
    error: str  # the one field the app always sends (ErrorReport.error is required)
    stack_trace: Annotated[str | None, Field(alias="stackTrace")] = None
    severity: Annotated[str, Field(max_length=40)] = "unknown"
    category: Annotated[str, Field(max_length=60)] = "unknown"
    context: dict[str, Any] = Field(default_factory=dict)
    app_version: Annotated[str | None, Field(alias="appVersion", max_length=100)] = None
    platform: Annotated[str | None, Field(max_length=100)] = None
    device_info: Annotated[Any, Field(alias="deviceInfo")] = None
    is_connected: Annotated[bool | None, Field(alias="isConnected")] = None


class ErrorReportOut(BaseModel):
    """The raw answer."""

    status: Literal["received"]
    report_id: str
