"""The `{"response": ..., "body": ...}` envelope of every CTI answer, or its error.

Phones serve JSON as `text/html` or `text/plain`; messages carry nothing of the request.
"""

from collections.abc import Mapping
from dataclasses import dataclass
import json
from typing import Any

from .errors import (
    CtiAuthError,
    CtiCommandError,
    CtiForbiddenError,
    CtiPasswordNotAcceptedError,
    CtiResponseError,
)

# Bodies that mean "did not work" even inside a "success" envelope.
_NEGATIVE_BODIES = frozenset({"failed", "unknown", "false", "error"})


@dataclass(frozen=True, slots=True)
class Envelope:
    """A positive answer: its `body` and all top-level fields (e.g. `misc`)."""

    body: Any
    fields: Mapping[str, Any]


def _load(data: bytes) -> tuple[object, str | None]:
    """Return the JSON of an answer, or None and what the answer is instead."""
    text = data.decode("utf-8-sig", errors="replace").strip()
    if not text:
        return None, "an empty answer"
    if text.startswith("<"):
        return None, "an HTML page"
    try:
        return json.loads(text), None
    except json.JSONDecodeError, RecursionError:
        return None, "invalid or truncated JSON"


def _lock_minutes(obj: Mapping[str, Any]) -> int | None:
    value = obj.get("lockTime")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_envelope(endpoint: str, status: int, data: bytes) -> Envelope:
    """Return the envelope of a positive answer, or raise the matching CtiError.

    Body `unauthorized` is CtiAuthError even in a `success` envelope (§12 N1); HTTP 401
    without it or `locked` is CtiPasswordNotAcceptedError.
    """
    obj, problem = _load(data)
    body = obj.get("body") if isinstance(obj, dict) else None
    word = body.strip().lower() if isinstance(body, str) else None
    if word == "unauthorized":
        raise CtiAuthError
    if status == 401:
        if isinstance(obj, dict) and word == "locked":
            raise CtiAuthError(locked=True, lock_minutes=_lock_minutes(obj))
        raise CtiPasswordNotAcceptedError
    if status == 403:
        raise CtiForbiddenError
    if not 200 <= status < 300:
        raise CtiResponseError(f"{endpoint}: HTTP {status}", status=status)
    if problem is not None:
        raise CtiResponseError(
            f"{endpoint}: expected the API's JSON, got {problem}", status=status
        )
    if not isinstance(obj, dict) or not isinstance(obj.get("response"), str):
        raise CtiResponseError(
            f"{endpoint}: JSON without a 'response' field", status=status
        )
    if obj["response"].strip().lower() == "success":
        return Envelope(body=body, fields=obj)
    if word == "locked":
        raise CtiAuthError(locked=True, lock_minutes=_lock_minutes(obj))
    if word == "forbidden":
        raise CtiForbiddenError
    if isinstance(body, dict) and body.get("status") == "session-expired":
        raise CtiAuthError(
            f"{endpoint}: the phone reports 'session-expired'; it seems to want a "
            "web session instead of the passcode"
        )
    raise CtiCommandError(endpoint, body)


def check_command(endpoint: str, envelope: Envelope) -> None:
    """Raise CtiCommandError when a command's positive envelope carries a negative body."""
    body = envelope.body
    if body is False or (
        isinstance(body, str) and body.strip().lower() in _NEGATIVE_BODIES
    ):
        raise CtiCommandError(endpoint, body)
