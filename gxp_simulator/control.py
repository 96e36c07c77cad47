"""The control API under /_sim/: drive the far end, faults and settings from another process.

Unauthenticated, answered only to loopback clients, never written to the request log.
"""

from collections.abc import Awaitable, Callable
import ipaddress
from typing import Any

from aiohttp import web

from .farend import FarEnd
from .phone import SimPhone

type _Handler = Callable[[SimPhone, dict[str, Any]], Any]


def _loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def _line(data: dict[str, Any]) -> int:
    line = data.get("line")
    if isinstance(line, bool) or not isinstance(line, int):
        raise TypeError("line must be an integer")
    return line


def state_json(phone: SimPhone) -> dict[str, Any]:
    """Everything the phone knows, as JSON."""
    return {
        "model": phone.profile.key,
        "firmware": phone.profile.firmware,
        "mac": phone.mac,
        "down": phone.down,
        "refusing": phone.refusing,
        "reboots": phone.reboots,
        "upgrades": phone.upgrades,
        **phone.state.to_json(),
        "line_status": phone.line_status(),
        "raw_states": {str(k): v for k, v in phone.raw_states.items()},
        "queued_keys": phone.queued_keys,
        "settings": phone.settings.to_json(),
        "faults": phone.faults.to_json(),
        "far_ends": phone.far_ends.to_json(),
        "events": [event.name for event in phone.events],
        "action_urls_sent": [
            {"event": s.event, "url": s.url, "status": s.status, "error": s.error}
            for s in phone.action_urls.sent
        ],
        "lock_minutes": phone.auth.lock_minutes(),
    }


def _incoming(phone: SimPhone, data: dict[str, Any]) -> dict[str, Any]:
    line = phone.incoming_call(
        str(data["number"]),
        str(data.get("name", "")),
        float(data.get("after", 0)),
        int(data.get("account", 0)),
    )
    return {"line": line}


def _far(action: str) -> _Handler:
    def handler(phone: SimPhone, data: dict[str, Any]) -> dict[str, Any]:
        line = _line(data)
        done = {
            "answer": phone.far_end_answer,
            "hangup": phone.far_end_hangup,
            "busy": phone.far_end_busy,
        }[action](line)
        return {"ok": done}

    return handler


def _keys(phone: SimPhone, data: dict[str, Any]) -> dict[str, Any]:
    """Someone at the phone presses keys (same tokens as api-send_key)."""
    tokens = phone.parse_keys(str(data.get("keys", "")))
    if tokens is None:
        raise ValueError("unknown key")
    phone.press_keys(tokens)
    return {"ok": True}


def _faults(phone: SimPhone, data: dict[str, Any]) -> dict[str, Any]:
    """Set faults; "clear": true first clears; "refuse_connections": seconds|true|false."""
    data = dict(data)
    if data.pop("clear", False):
        phone.clear_faults()
    refuse = data.pop("refuse_connections", None)
    if data:
        phone.set_faults(**data)
    if refuse is True or (
        isinstance(refuse, int | float) and not isinstance(refuse, bool)
    ):
        phone.refuse_connections(None if refuse is True else float(refuse))
    elif refuse is False:
        phone.create_task(phone.accept_connections(), "gxp accept via control")
    return phone.faults.to_json()


def _settings(phone: SimPhone, data: dict[str, Any]) -> dict[str, Any]:
    """Change settings; "setup" ("factory"/"readme") and "timing" apply presets first."""
    data = dict(data)
    phone.configure(
        setup=data.pop("setup", None), timing=data.pop("timing", None), **data
    )
    return phone.settings.to_json()


def _line_state(phone: SimPhone, data: dict[str, Any]) -> dict[str, Any]:
    """{"line": 1, "state": "transfered"|null, "duration": seconds|null}: a raw state."""
    state = data.get("state")
    if state is not None and not isinstance(state, str):
        raise TypeError("state must be a string or null")
    duration = data.get("duration")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int | float)
    ):
        raise TypeError("duration must be a number or null")
    phone.show_raw_state(_line(data), state, duration)
    return {"raw_states": {str(k): v for k, v in phone.raw_states.items()}}


def _far_ends(phone: SimPhone, data: dict[str, Any]) -> dict[str, Any]:
    """{"clear": bool, "default": {...}, "numbers": {"1002": {...}}}."""
    if data.get("clear"):
        phone.far_ends.clear()
    if "default" in data:
        phone.far_ends.default = FarEnd.from_json(data["default"])
    for number, spec in dict(data.get("numbers", {})).items():
        phone.far_ends.set(str(number), FarEnd.from_json(spec))
    return phone.far_ends.to_json()


def _popup(phone: SimPhone, data: dict[str, Any]) -> dict[str, Any]:
    phone.answer_popup(bool(data.get("accept", True)))
    return {"ok": True}


def _clock(phone: SimPhone, data: dict[str, Any]) -> dict[str, Any]:
    phone.clock.advance(float(data.get("advance", 0)))
    phone.notify()
    return {"lock_minutes": phone.auth.lock_minutes()}


def _reboot(phone: SimPhone, data: dict[str, Any]) -> dict[str, Any]:
    phone.reboot(factory_reset=bool(data.get("factory_reset")))
    return {"ok": True}


def _firmware(phone: SimPhone, data: dict[str, Any]) -> dict[str, Any]:
    """Reboot into another firmware: {"lines": 8, "firmware": "1.0.11.20"} (both optional)."""
    unknown = set(data) - {"lines", "firmware"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    profile = phone.upgrade_firmware(
        lines=data.get("lines"), firmware=data.get("firmware")
    )
    return {"lines": profile.lines, "firmware": profile.firmware}


_POSTS: dict[str, _Handler] = {
    "incoming": _incoming,
    "answer": _far("answer"),
    "hangup": _far("hangup"),
    "busy": _far("busy"),
    "keys": _keys,
    "faults": _faults,
    "settings": _settings,
    "line_state": _line_state,
    "farends": _far_ends,
    "popup": _popup,
    "clock": _clock,
    "reboot": _reboot,
    "firmware": _firmware,
}


async def _json_object(request: web.Request) -> dict[str, Any]:
    data = await request.json() if request.can_read_body else {}
    if not isinstance(data, dict):
        raise TypeError("expected a JSON object")
    return data


def add_control_routes(app: web.Application, phone: SimPhone) -> None:
    """Register /_sim/* on an application."""

    def guard(
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def checked(request: web.Request) -> web.StreamResponse:
            if not _loopback(request.remote):
                return web.json_response({"error": "loopback only"}, status=403)
            return await handler(request)

        return checked

    def post(name: str, handler: _Handler) -> None:
        async def route(request: web.Request) -> web.StreamResponse:
            try:
                data = await _json_object(request)
                result = handler(phone, data)
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                return web.json_response({"error": str(err)}, status=400)
            return web.json_response(result)

        app.router.add_post(f"/_sim/{name}", guard(route))

    for name, handler in _POSTS.items():
        post(name, handler)

    async def get_state(_request: web.Request) -> web.StreamResponse:
        return web.json_response(state_json(phone))

    async def get_requests(_request: web.Request) -> web.StreamResponse:
        return web.json_response(phone.requests.to_json())

    async def clear_requests(_request: web.Request) -> web.StreamResponse:
        phone.requests.clear()
        return web.json_response({"ok": True})

    app.router.add_get("/_sim/state", guard(get_state))
    app.router.add_get("/_sim/requests", guard(get_requests))
    app.router.add_delete("/_sim/requests", guard(clear_requests))


def create_control_app(phone: SimPhone) -> web.Application:
    """Create the control API alone (for a control port that survives reboots)."""
    app = web.Application()
    add_control_routes(app, phone)
    return app
