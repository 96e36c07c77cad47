"""Fault injection: the ways a phone (or the network) can misbehave, settable at run time.

Connection refused is not here: it stops the listening socket, which the harness owns.
"""

from dataclasses import asdict, dataclass, fields
import json
from typing import Any

from aiohttp import web

HTTP_ERROR_STATUSES = (401, 403, 500)

_REASONS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
}

LOGIN_PAGE = """<!DOCTYPE html>
<html><head><title>Grandstream Device Configuration</title></head>
<body><form method="post" action="/cgi-bin/dologin">
<input type="text" name="username"><input type="password" name="password">
<input type="submit" value="Login"></form></body></html>
"""


@dataclass(slots=True, kw_only=True)
class Faults:
    """What goes wrong for the next matching CTI request.

    latency: seconds before answering.
    no_answer: hold the request until the fault is cleared or the client gives up.
    http_status: answer 401, 403 or 500 with an HTML body (401 is what an expired web
        session gets [CAP S8]; the others are generic server faults [INF]).
    login_page: answer 200 with the web UI's HTML login page [INF].
    truncated_json: cut the JSON text in half.
    wrong_types: give `body` the wrong JSON type (list <-> object, string -> number, ...).
    endpoints: only requests to these endpoints are affected (None = all of /cgi-bin/).
    times: affect only the next N matching requests, then clear all faults.
    """

    latency: float = 0.0
    no_answer: bool = False
    http_status: int | None = None
    login_page: bool = False
    truncated_json: bool = False
    wrong_types: bool = False
    endpoints: frozenset[str] | None = None
    times: int | None = None

    def applies(self, endpoint: str) -> bool:
        """Whether a request to this endpoint is affected."""
        return self.endpoints is None or endpoint in self.endpoints

    def active(self) -> bool:
        """Whether any fault is set."""
        return bool(
            self.latency
            or self.no_answer
            or self.http_status
            or self.login_page
            or self.truncated_json
            or self.wrong_types
        )

    def consume(self) -> None:
        """Count one affected request; clear everything when `times` runs out."""
        if self.times is None:
            return
        self.times -= 1
        if self.times <= 0:
            self.clear()

    def clear(self) -> None:
        """No faults."""
        for f in fields(self):
            setattr(self, f.name, f.default)

    def snapshot(self) -> Faults:
        """Copy the faults, so one request sees consistent values."""
        return Faults(**{f.name: getattr(self, f.name) for f in fields(self)})

    def update(self, **changes: Any) -> None:
        """Set faults by name (JSON-friendly values)."""
        for name, value in changes.items():
            setattr(self, name, _coerce(name, value))

    def to_json(self) -> dict[str, Any]:
        """As JSON data."""
        data = asdict(self)
        data["endpoints"] = None if self.endpoints is None else sorted(self.endpoints)
        return data


def _coerce(name: str, value: Any) -> Any:
    if name == "latency":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise TypeError("latency must be a number >= 0")
        return float(value)
    if name in ("no_answer", "login_page", "truncated_json", "wrong_types"):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be true or false")
        return value
    if name == "http_status":
        if value is not None and value not in HTTP_ERROR_STATUSES:
            raise ValueError("http_status must be 401, 403, 500 or null")
        return value
    if name == "endpoints":
        if value is None:
            return None
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise TypeError("endpoints must be a list of endpoint names")
        return frozenset(v.rsplit("/", 1)[-1] for v in value)
    if name == "times":
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise TypeError("times must be an integer >= 1 or null")
        return value
    raise AttributeError(f"unknown fault {name!r}")


def html_error(status: int) -> web.Response:
    """Build a bare HTML error page like the phone's web server sends [CAP S8]."""
    reason = _REASONS.get(status, "Error")
    return web.Response(
        status=status,
        text=f"<html><head><title>{status} {reason}</title></head>"
        f"<body><h1>{status} {reason}</h1></body></html>\n",
        content_type="text/html",
    )


def login_page() -> web.Response:
    """Answer the web UI's login page with status 200 where JSON was expected [INF]."""
    return web.Response(text=LOGIN_PAGE, content_type="text/html")


def wrong_type(body: Any) -> Any:
    """Give the same information in a JSON type the client does not expect."""
    if isinstance(body, list):
        return {str(i): item for i, item in enumerate(body)}
    if isinstance(body, dict):
        return [body]
    if isinstance(body, bool):
        return "true" if body else "false"
    if isinstance(body, str):
        return 0
    return str(body)


def render_json(payload: dict[str, Any], faults: Faults | None) -> str:
    """JSON text of an answer, with the body faults applied."""
    if faults is not None and faults.wrong_types and "body" in payload:
        payload = {**payload, "body": wrong_type(payload["body"])}
    text = json.dumps(payload, separators=(",", ":"))
    if faults is not None and faults.truncated_json:
        text = text[: len(text) // 2]
    return text
