"""The phone's web server: the CTI endpoints (cti-api.md sections 3-5) as an aiohttp app."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from .auth import AuthResult, ip_allowed, login_variant, sha256_hex, web_values_api
from .control import add_control_routes
from .faults import Faults, html_error, login_page, render_json
from .linestatus import line_json
from .phone import INVALID_REQUEST, SimPhone
from .profiles import MiscStyle

type Params = Mapping[str, str]

_LOGGER = logging.getLogger(__name__)
_SECRET_PARAMS = frozenset({"passcode", "password", "sid", "access"})
CLICK_TO_DIAL = "P1561"  # read and enabled through config_get/update [VENDOR-CODE N1]


@dataclass(slots=True)
class Reply:
    """A JSON answer, and what to do once it is on the wire."""

    payload: dict[str, Any]
    status: int = 200
    after: Callable[[], None] | None = None
    cookies: dict[str, str] = field(default_factory=dict)


def success(body: Any) -> Reply:
    """{"response":"success","body":...} [DOC S3]."""
    return Reply({"response": "success", "body": body})


def error(body: Any, status: int = 200) -> Reply:
    """{"response":"error","body":...} [DOC S3]."""
    return Reply({"response": "error", "body": body}, status)


UNAUTHORIZED = "unauthorized"  # wrong passcode [INF spec 3.3]; pop-up on [FORUM S7]
FORBIDDEN = "forbidden"  # Remote Control refuses this host [INF spec 3.3]
SESSION_EXPIRED = {"status": "session-expired"}  # api.values.* [CODE S18; CAP S8]

__all__ = ["CtiServer", "create_app", "line_json"]


class CtiServer:
    """Request handlers bound to one phone."""

    def __init__(self, phone: SimPhone) -> None:
        """Serve `phone`."""
        self.phone = phone

    # ---------------------------------------------------------- plumbing

    async def serve(
        self,
        request: web.Request,
        action: Callable[[web.Request, Params], Awaitable[Reply | web.Response]],
    ) -> web.StreamResponse:
        """Log, apply faults, run the action, render JSON."""
        phone = self.phone
        params, form = await _params(request)
        phone.requests.record(
            request.method,
            request.path,
            dict(request.query),
            request.rel_url.raw_query_string,
            remote=request.remote,
            form=form,
        )
        phone.notify()
        try:
            # Counted in flight from arrival, so a client's overlap stays measurable
            # although the phone answers one request at a time.
            with phone.requests.answering():
                async with phone.request_slot():
                    return await self._answer(request, params, action)
        finally:
            phone.notify()  # wakes anyone waiting for the phone to be idle

    async def _answer(
        self,
        request: web.Request,
        params: Params,
        action: Callable[[web.Request, Params], Awaitable[Reply | web.Response]],
    ) -> web.StreamResponse:
        """Apply faults, run the action, render JSON."""
        phone = self.phone
        endpoint = request.path.rsplit("/", 1)[-1]
        _LOGGER.debug(
            "%s %s %s",
            request.method,
            request.path,
            {k: v for k, v in params.items() if k not in _SECRET_PARAMS},
        )
        faults: Faults | None = None
        if phone.faults.active() and phone.faults.applies(endpoint):
            faults = phone.faults.snapshot()
            phone.faults.consume()
            if faults.latency:
                await asyncio.sleep(faults.latency)
            if faults.no_answer:
                generation = phone.fault_generation
                await phone.hold_request(
                    lambda p: (
                        p.fault_generation != generation and not p.faults.no_answer
                    )
                )
            if faults.http_status is not None:
                return html_error(faults.http_status)
            if faults.login_page:
                return login_page()
        reply = await action(request, params)
        if isinstance(reply, web.Response):
            return reply
        response = web.Response(
            text=render_json(reply.payload, faults),
            status=reply.status,
            content_type=phone.profile.content_type,
        )
        for name, value in reply.cookies.items():
            response.set_cookie(name, value, path="/")
        if reply.after is not None:
            # Finish the answer before acting (reboot drops the connection) [CODE S9].
            await response.prepare(request)
            await response.write_eof()
            reply.after()
        return response

    async def _access(
        self, request: web.Request, params: Params
    ) -> Reply | web.Response | None:
        """Remote Control gate, lockout, credentials, confirmation pop-up."""
        phone = self.phone
        settings = phone.settings
        session_style = not ({"passcode", "password"} & params.keys()) and bool(
            params.get("sid")
            or request.cookies.get("sid")
            or request.cookies.get("session-identity")
        )
        gated = phone.profile.cti_gated and not session_style
        if gated and (
            not settings.action_uri_support or not ip_allowed(request.remote, settings)
        ):
            if settings.forbidden_variant == "html":
                return html_error(403)
            return error(FORBIDDEN, 403)
        if not session_style and not settings.passcode_accepted:
            # Firmware that only takes web sessions [CAP S8; VENDOR-CODE N1].
            return html_error(401)
        result = phone.auth.check_request(params, request.cookies, settings)
        phone.notify()
        if result is AuthResult.LOCKED:
            reply = error("locked")
            reply.payload["lockTime"] = phone.auth.lock_minutes()  # [CAP S8]
            return reply
        if result is AuthResult.SESSION_EXPIRED:
            return html_error(401)  # [CAP S8]
        if result is not AuthResult.OK:
            return error(UNAUTHORIZED)
        if gated and settings.popup:
            return await self._popup()
        return None

    async def _popup(self) -> Reply | None:
        """Remote Control Pop up Window Support on (P32051) [DOC S1; FORUM S7]."""
        phone = self.phone
        variant = phone.settings.popup_variant
        if variant == "block":  # wait for the person at the phone [I]
            answers = phone.popup_answers
            await phone.hold_request(lambda p: p.popup_answers != answers)
            return None if phone.popup_accept else error(UNAUTHORIZED)
        return error(FORBIDDEN if variant == "forbidden" else UNAUTHORIZED)

    def api(
        self, handler: Callable[[Params], Reply]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Wrap a handler as an authenticated api-* route (GET or POST, query or form)."""

        async def action(request: web.Request, params: Params) -> Reply | web.Response:
            denied = await self._access(request, params)
            if denied is not None:
                return denied
            return handler(params)

        async def route(request: web.Request) -> web.StreamResponse:
            return await self.serve(request, action)

        return route

    # ---------------------------------------------------------- endpoints

    def line_status(self, _params: Params) -> Reply:
        """api-get_line_status [DOC S3; CAP S8]."""
        return success(self.phone.line_status())

    def phone_status(self, _params: Params) -> Reply:
        """api-get_phone_status: available / ringing / busy / unavailable (+ misc).

        [CAP S8]; `unavailable` and misc "1" = idle call allowed [VENDOR-CODE N1].
        """
        phone = self.phone
        reply = success(phone.phone_status())
        style = phone.profile.misc_style
        if style is MiscStyle.CAPTURED:
            reply.payload["misc"] = "0"
        elif style is MiscStyle.IDLE_CALL:
            reply.payload["misc"] = "1" if phone.idle_call_allowed() else "0"
        return reply

    def accounts(self, _params: Params) -> Reply:
        """api-get_accounts: 1-based id, reg 0/1 [DOC S2; CAP S8 adds auto_cfg]."""
        captured = self.phone.profile.misc_style is MiscStyle.CAPTURED
        extra = {"auto_cfg": ""} if captured else {}
        return success(
            [
                {
                    "id": index,
                    "sip_server": account.sip_server,
                    "sip_id": account.sip_id,
                    "name": account.name,
                    "reg": int(account.registered),
                    **extra,
                }
                for index, account in enumerate(self.phone.settings.accounts, start=1)
            ]
        )

    def send_key(self, params: Params) -> Reply:
        """api-send_key: "complete", or "unknown" and nothing happens [DOC S2]."""
        tokens = self.phone.parse_keys(params.get("keys"))
        if tokens is None:
            return error("unknown")
        self.phone.press_keys(tokens)
        return success("complete")

    def phone_operation(self, params: Params) -> Reply:
        """api-phone_operation: body true / false [DOC S2]."""
        if self.phone.phone_operation(params.get("cmd", "")):
            return success(True)
        return error(False)

    def make_call(self, params: Params) -> Reply:
        """api-make_call: body true, or "Invalid Request" [DOC S2; VENDOR-CODE N1].

        `account` is 0-based (account id - 1) [VENDOR-CODE N1]; omitted = 0 [INF].
        """
        try:
            account = int(params.get("account", "0"))
        except ValueError:
            return error(INVALID_REQUEST)
        failure = self.phone.make_call_error(params.get("phonenumber", ""), account)
        if failure is None:
            return success(True)
        return error(failure)

    def sys_operation(self, params: Params) -> Reply:
        """api-sys_operation: REBOOT -> savereboot, RESET -> reset [DOC S2]."""
        request = params.get("request", "")
        if request == "REBOOT":
            reply = success("savereboot")
            reply.after = self.phone.reboot
            return reply
        if request == "RESET":
            reply = success("reset")
            reply.after = lambda: self.phone.reboot(factory_reset=True)
            return reply
        return error("unknown")

    def _web_guard(self, request: web.Request) -> web.Response | None:
        """Refuse form posts the current web UI (login c) refuses [CAP S8; CODE S9].

        No body and no Content-Length: 411; no Origin or Referer naming this host:
        a bare HTML 403. Phones with the plain login (b) check neither [INF].
        """
        phone = self.phone
        if login_variant(phone.profile, phone.settings) != "c":
            return None
        if request.method in ("POST", "PUT"):
            if request.content_length is None and "Transfer-Encoding" not in (
                request.headers
            ):
                return web.Response(status=411, text="<html>411</html>")
            claimed = [
                urlsplit(value).netloc
                for name in ("Origin", "Referer")
                if (value := request.headers.get(name))
            ]
            if request.host not in claimed:
                return html_error(403)
        return None

    async def access(self, request: web.Request) -> web.StreamResponse:
        """POST /cgi-bin/access, form `access=<hex sha256(username)>` (login c) [CAP S8].

        Answers the nonce; phones with the plain login have no such page: 404 [INF].
        """

        async def action(request: web.Request, params: Params) -> Reply | web.Response:
            phone = self.phone
            if login_variant(phone.profile, phone.settings) != "c":
                return html_error(404)
            if (denied := self._web_guard(request)) is not None:
                return denied
            if (minutes := phone.auth.lock_minutes()) is not None:
                reply = error("locked")
                reply.payload["lockTime"] = minutes  # [CAP S8]
                return reply
            return success(phone.auth.access(params.get("access", "")))

        return await self.serve(request, action)

    async def dologin(self, request: web.Request) -> web.StreamResponse:
        """POST /cgi-bin/dologin: variant b plain form [CODE S19] or c hashed [CAP S8]."""

        async def action(request: web.Request, params: Params) -> Reply | web.Response:
            phone = self.phone
            variant = login_variant(phone.profile, phone.settings)
            if (denied := self._web_guard(request)) is not None:
                return denied
            result = phone.auth.login(
                params.get("username", ""),
                params.get("password", ""),
                phone.settings,
                variant=variant,
            )
            phone.notify()
            if result.session is not None:
                return self._login_reply(
                    variant, result.session.sid, result.session.role
                )
            reply = error(result.body)
            if result.lock_minutes is not None:
                reply.payload["lockTime"] = result.lock_minutes
            return reply

        return await self.serve(request, action)

    def _login_reply(self, variant: str, sid: str, role: str) -> Reply:
        phone = self.phone
        if variant == "b":
            reply = success(
                {
                    "sid": sid,
                    "role": role,
                    "ver": phone.profile.firmware,
                    "mac": phone.mac,
                }
            )
            # Cookie names seen with this web stack [CODE S9, S18; ?].
            reply.cookies = {"session-identity": sid, "session-role": role}
            return reply
        reply = success(  # WP826 1.0.3.35 [CAP S8]
            {
                "sid": sid,
                "role": sha256_hex(role + sid),
                "ver": phone.profile.firmware,
                "mac": phone.mac,
                "defaultAuth": phone.auth.password == "admin",  # noqa: S105 [INF] meaning
                "defaultLogin": False,
            }
        )
        reply.cookies = {"sid": sid}  # [CAP S8]
        return reply

    # ------------------------------------------------------- web settings

    def _session_ok(self, request: web.Request, params: Params) -> bool:
        """Whether the request carries a live web-session sid (form, query or cookie)."""
        sid = (
            params.get("sid")
            or request.cookies.get("sid")
            or request.cookies.get("session-identity")
        )
        phone = self.phone
        return bool(sid) and phone.auth.touch_session(str(sid), phone.settings)

    async def dologout(self, request: web.Request) -> web.StreamResponse:
        """POST /cgi-bin/dologout, form `sid`: ends the session [CODE S9, S8]; body [I]."""

        async def action(request: web.Request, params: Params) -> Reply | web.Response:
            if (denied := self._web_guard(request)) is not None:
                return denied
            self.phone.auth.sessions.pop(params.get("sid", ""), None)
            return success("ok")

        return await self.serve(request, action)

    async def dorefresh(self, request: web.Request) -> web.StreamResponse:
        """POST /cgi-bin/dorefresh, form `sid`: keeps the session [CODE S9, S8]; body [I]."""

        async def action(request: web.Request, params: Params) -> Reply | web.Response:
            if (denied := self._web_guard(request)) is not None:
                return denied
            if not self._session_ok(request, params):
                return error(SESSION_EXPIRED)
            return success("ok")

        return await self.serve(request, action)

    def _read_pvalue(self, name: str) -> str:
        phone = self.phone
        if name.upper() == CLICK_TO_DIAL:
            return "1" if phone.settings.click_to_dial else "0"
        return phone.pvalue(name)

    def _write_pvalue(self, name: str, value: str) -> None:
        phone = self.phone
        if name.upper() == CLICK_TO_DIAL:
            phone.settings.click_to_dial = value.strip() == "1"
        elif name.upper().startswith("P") and name[1:].isdigit():
            phone.set_pvalue(name, value)

    def _has_api(self, api: str) -> bool:
        phone = self.phone
        return web_values_api(phone.profile, phone.settings) in (api, "both")

    async def config_get(self, request: web.Request) -> web.StreamResponse:
        """config_get?pvalues=K1,K2 of the newer web UI [CAP S8; CODE S9].

        Answers {"configs": [{"alias", "pvalue", "value"}]} as cti-api.md 5.8 gives it;
        an unknown key comes back with empty value and alias [CAP S8]. We keep no
        alias table, so alias is always "" [INF].
        """

        async def action(request: web.Request, params: Params) -> Reply | web.Response:
            if not self._has_api("config"):
                return html_error(404)
            if not self._session_ok(request, params):
                return error(SESSION_EXPIRED)  # [CAP S8]
            keys = [k for k in params.get("pvalues", "").split(",") if k]
            configs = [
                {"alias": "", "pvalue": key, "value": self._read_pvalue(key)}
                for key in keys
            ]
            return Reply({"configs": configs})

        return await self.serve(request, action)

    async def config_update(self, request: web.Request) -> web.StreamResponse:
        """PUT config_update, JSON {"alias": {}, "pvalue": {...}} [CAP S8; CODE S9].

        POST answers 501 on GXP2170 [CODE S9]. Success body "ok" [INF].
        """

        async def action(request: web.Request, params: Params) -> Reply | web.Response:
            if not self._has_api("config"):
                return html_error(404)
            if request.method != "PUT":
                return web.Response(status=501, text="<html>501</html>")
            if (denied := self._web_guard(request)) is not None:
                return denied
            if not self._session_ok(request, params):
                return error(SESSION_EXPIRED)
            try:
                data = json.loads(await request.text())
                pvalues = data.get("pvalue", {})
            except ValueError, AttributeError:
                return error("failed")  # [INF]
            if not isinstance(pvalues, dict):
                return error("failed")
            for name, value in pvalues.items():
                self._write_pvalue(str(name), str(value))
            self.phone.notify()
            return success("ok")

        return await self.serve(request, action)

    async def values_get(self, request: web.Request) -> web.StreamResponse:
        """api.values.get, `request=P8310:P8311` [CODE S18, S17].

        Only Action URL slots are kept; any other name answers "" [INF, like
        config_get's unknown keys CAP S8]. An invalid sid: session-expired [CODE S18].
        """

        async def action(request: web.Request, params: Params) -> Reply | web.Response:
            if not self._has_api("values"):
                return html_error(404)  # newer web UI without api.values [CAP S8]
            if not self._session_ok(request, params):
                return error(SESSION_EXPIRED)
            names = [n for n in params.get("request", "").split(":") if n]
            return success({name: self._read_pvalue(name) for name in names})

        return await self.serve(request, action)

    async def values_post(self, request: web.Request) -> web.StreamResponse:
        """api.values.post, form `P8310=<v>&sid=<sid>` [CODE S18].

        Action URL slots the model has are stored, so the phone then sends those
        events there; other P-values are accepted and dropped [I].
        """

        async def action(request: web.Request, params: Params) -> Reply | web.Response:
            if not self._has_api("values"):
                return html_error(404)
            if (denied := self._web_guard(request)) is not None:
                return denied
            if not self._session_ok(request, params):
                return error(SESSION_EXPIRED)
            for name, value in params.items():
                self._write_pvalue(name, value)
            self.phone.notify()
            return success("ok")

        return await self.serve(request, action)

    async def web_root(self, request: web.Request) -> web.StreamResponse:
        """GET /: the web UI's login page, no credentials needed [INF].

        Its `Server` header names the model (`Grandstream GXP1165`) [CODE S20], which
        is how discovery tells a desk phone from other Grandstream devices.
        """

        async def action(_request: web.Request, _params: Params) -> web.Response:
            return login_page()

        return await self.serve(request, action)

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        """Anything else: 404 with an HTML body [I]."""

        async def action(_request: web.Request, _params: Params) -> web.Response:
            return html_error(404)

        return await self.serve(request, action)


async def _params(request: web.Request) -> tuple[dict[str, str], dict[str, str]]:
    """Query parameters, overlaid by form fields of a POST [CODE S15]."""
    params = dict(request.query)
    form: dict[str, str] = {}
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        posted = await request.post()
        form = {k: v for k, v in posted.items() if isinstance(v, str)}
        params.update(form)
    return params, form


def create_app(phone: SimPhone, *, control: bool = True) -> web.Application:
    """Create the phone's web application (a new one per boot)."""
    server = CtiServer(phone)
    app = web.Application()

    async def server_header(
        _request: web.Request, response: web.StreamResponse
    ) -> None:
        response.headers["Server"] = phone.profile.server_header  # [CODE S20]

    app.on_response_prepare.append(server_header)
    if control:
        add_control_routes(app, phone)
    endpoints: dict[str, Callable[[Params], Reply]] = {
        "api-get_line_status": server.line_status,
        "api-get_phone_status": server.phone_status,
        "api-get_accounts": server.accounts,
        "api-send_key": server.send_key,
        "api-phone_operation": server.phone_operation,
        "api-make_call": server.make_call,
        "api-sys_operation": server.sys_operation,
    }
    for name, handler in endpoints.items():
        if not phone.profile.answers(name):
            continue  # a keys-only firmware: 404 like any unknown path [INF]
        route = server.api(handler)
        app.router.add_get(f"/cgi-bin/{name}", route, allow_head=False)
        app.router.add_post(f"/cgi-bin/{name}", route)
    app.router.add_post("/cgi-bin/access", server.access)
    app.router.add_post("/cgi-bin/dologin", server.dologin)
    app.router.add_post("/cgi-bin/dologout", server.dologout)
    app.router.add_post("/cgi-bin/dorefresh", server.dorefresh)
    app.router.add_get("/cgi-bin/config_get", server.config_get, allow_head=False)
    app.router.add_post("/cgi-bin/config_get", server.config_get)
    app.router.add_route("*", "/cgi-bin/config_update", server.config_update)
    for path, web_handler in (
        ("/cgi-bin/api.values.get", server.values_get),
        ("/cgi-bin/api.values.post", server.values_post),
    ):
        app.router.add_get(path, web_handler, allow_head=False)
        app.router.add_post(path, web_handler)
    app.router.add_get("/", server.web_root)
    app.router.add_route("*", "/{tail:.*}", server.not_found)
    return app
