"""Async client for one phone's CTI HTTP API (`/cgi-bin/api-*`) and its web sessions.

`api-*` requests carry `passcode=` (§3.1); the password never reaches errors or logs.
"""

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
import hashlib
import json
import logging
from typing import Any, Final
from urllib.parse import quote, quote_plus

import aiohttp
from yarl import URL

from .envelope import Envelope, check_command, parse_envelope
from .errors import (
    CtiAuthError,
    CtiCommandError,
    CtiConnectionError,
    CtiError,
    CtiPasswordNotAcceptedError,
    CtiResponseError,
    CtiTimeoutError,
)
from .keys import KeyTable
from .models import (
    Account,
    InfoSource,
    LineStatus,
    PhoneIdentity,
    PhoneOperation,
    PhoneStatus,
    Sourced,
    normalize_mac,
    parse_accounts,
    parse_line_status,
    parse_server_header,
)
from .url import Encoded, Params, base_url, build_url, query_string

_LOGGER = logging.getLogger(__name__)

CGI: Final = "/cgi-bin/"
LINE_STATUS: Final = "api-get_line_status"
SEND_KEY: Final = "api-send_key"
ACCESS: Final = "access"
LOGIN: Final = "dologin"
CONFIG_GET: Final = "config_get"
LOGIN_USER: Final = "admin"

# Answers to `access` meaning "no such page": the phone logs in with variant b.
_NO_PAGE: Final = frozenset({404, 405, 501})
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})


class _DisconnectedError(CtiConnectionError):
    """The phone closed the connection after the request was sent."""


_CLOSED: Final = "the phone closed the connection"
# Transport errors, most specific first (aiohttp's ServerTimeoutError is a TimeoutError).
_TRANSPORT_ERRORS: Final[tuple[tuple[type[Exception], type[CtiError], str], ...]] = (
    (TimeoutError, CtiTimeoutError, "no answer within {} s"),
    (aiohttp.ServerDisconnectedError, _DisconnectedError, _CLOSED),
    (aiohttp.ClientPayloadError, _DisconnectedError, _CLOSED),
    (aiohttp.ClientConnectorError, CtiConnectionError, "cannot connect"),
    (aiohttp.ClientOSError, _DisconnectedError, "the connection broke"),
    (aiohttp.ClientResponseError, CtiResponseError, "invalid HTTP answer"),
    (aiohttp.ClientError, CtiConnectionError, "request failed"),
)


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: Mapping[str, str]  # case-insensitive (aiohttp's CIMultiDictProxy)
    data: bytes
    cookies: Mapping[str, str] = field(default_factory=dict)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _sourced(value: str | None, source: InfoSource) -> Sourced[str] | None:
    return Sourced(value=value, source=source) if value else None


def _header_facts(server: str | None) -> tuple[Sourced[str] | None, ...]:
    """Return (model, firmware) of a `Server` header as sourced facts."""
    return tuple(
        _sourced(f, InfoSource.SERVER_HEADER) for f in parse_server_header(server)
    )


class CtiClient:
    """Client for one phone's CTI API."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        *,
        password: str,
        port: int | None = None,
        https: bool = False,
        verify_ssl: bool = False,
        timeout: float = 10.0,
        key_table: KeyTable | None = None,
    ) -> None:
        """Create a client; `host` may carry a port (`10.0.0.5:8080`, `[fe80::1]:80`)."""
        self._session = session
        self._base = base_url(host, port, https=https)
        self._password = password
        self._ssl = verify_ssl  # off by default: phones use self-signed certificates
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._lock = asyncio.Lock()
        self.key_table = key_table or KeyTable()
        # The latest `Server` header: a firmware upgraded in use shows with the next read.
        self.server_header: str | None = None
        # An unchanged line-status answer (an idle phone) is not parsed again.
        self._last_lines: tuple[int, bytes, tuple[LineStatus, ...]] | None = None

    def __repr__(self) -> str:
        """Return a representation without the password."""
        return f"CtiClient({self._base})"

    @property
    def base_url(self) -> URL:
        """Return the phone's base URL (`http://host[:port]`), without credentials."""
        return self._base

    def use_key_table(self, table: KeyTable) -> None:
        """Spell keys with `table` from now on (new probe findings, no reload)."""
        self.key_table = table

    def leaks_password(self, err: BaseException | None) -> bool:
        """Whether `err` or an error it chains shows the password in any URL encoding."""
        password = self._password
        if not password:
            return False
        forms = {
            password,
            quote(password, safe=""),
            quote(password),
            quote_plus(password),
        }
        for _ in range(8):
            if err is None:
                return False
            if any(form in text for text in (str(err), repr(err)) for form in forms):
                return True
            err = err.__cause__ or err.__context__
        return False

    async def _request(
        self,
        method: str,
        path: str,
        params: Params = (),
        *,
        form: dict[str, str] | None = None,
        json_body: object = None,
        headers: dict[str, str] | None = None,
        http: aiohttp.ClientSession | None = None,
    ) -> _Reply:
        """Send one request under the lock (`http`: a web login's private session)."""
        if _LOGGER.isEnabledFor(logging.DEBUG):  # the redacted query costs a little
            _LOGGER.debug("%s %s?%s", method, path, query_string(params, redact=True))
        async with self._lock:
            try:
                async with (http or self._session).request(
                    method,
                    build_url(self._base, path, params),
                    data=form,
                    json=json_body,
                    headers=headers,
                    ssl=self._ssl,
                    timeout=self._timeout,
                    allow_redirects=False,
                ) as resp:
                    reply = _Reply(
                        resp.status,
                        resp.headers,
                        await resp.read(),
                        {name: morsel.value for name, morsel in resp.cookies.items()},
                    )
                    self.server_header = resp.headers.get("Server", self.server_header)
            except (TimeoutError, aiohttp.ClientError) as err:
                kind, what = next(
                    (kind, what.format(self._timeout.total))
                    for error, kind, what in _TRANSPORT_ERRORS
                    if isinstance(err, error)
                )
                # Neither the message nor the chain may show the password.
                leaks = self.leaks_password(err)
                detail = type(err).__name__ if leaks or not str(err) else str(err)
                raise kind(f"{self._base.host}{path}: {what} ({detail})") from (
                    None if leaks else err
                )
        _LOGGER.debug("%s %s -> HTTP %s", method, path, reply.status)
        return reply

    async def _api(self, endpoint: str, params: Params = ()) -> _Reply:
        return await self._request(
            "GET", CGI + endpoint, [("passcode", self._password), *params]
        )

    async def _api_body(self, endpoint: str, params: Params = ()) -> Envelope:
        reply = await self._api(endpoint, params)
        return parse_envelope(endpoint, reply.status, reply.data)

    async def _command(self, endpoint: str, params: Params) -> None:
        check_command(endpoint, await self._api_body(endpoint, params))

    async def _line_status(self) -> tuple[tuple[LineStatus, ...], _Reply]:
        reply = await self._api(LINE_STATUS)
        last = self._last_lines
        if last is not None and last[0] == reply.status and last[1] == reply.data:
            return last[2], reply
        body = parse_envelope(LINE_STATUS, reply.status, reply.data).body
        lines = tuple(parse_line_status(body))
        self._last_lines = (reply.status, reply.data, lines)
        return lines, reply

    async def get_line_status(self) -> list[LineStatus]:
        """Return the state of every line (`api-get_line_status`)."""
        return list((await self._line_status())[0])

    async def get_phone_status(self) -> PhoneStatus:
        """Return the overall phone state (`api-get_phone_status`)."""
        envelope = await self._api_body("api-get_phone_status")
        return PhoneStatus.from_json(envelope.body, envelope.fields.get("misc"))

    async def get_accounts(self) -> list[Account]:
        """Return the SIP accounts and their registration (`api-get_accounts`)."""
        return parse_accounts((await self._api_body("api-get_accounts")).body)

    async def send_keys(
        self, keys: str | Sequence[str], table: KeyTable | None = None
    ) -> None:
        """Press keys (text or logical tokens) in one request; `table` for this one only."""
        table = table or self.key_table
        tokens = table.parse(keys) if isinstance(keys, str) else keys
        await self._command(SEND_KEY, [("keys", Encoded(table.encode(tokens)))])

    async def phone_operation(self, operation: PhoneOperation | str) -> None:
        """Run `api-phone_operation` with `cmd=<operation>` (ValueError if unknown)."""
        command = PhoneOperation(operation)
        await self._command("api-phone_operation", [("cmd", command.value)])

    async def make_call(self, number: str, account: int | None = None) -> None:
        """Call `number` with `api-make_call` on the 0-based `account` (Click-To-Dial)."""
        number = number.strip()
        if not number:
            raise ValueError("The number to call is empty")
        params: list[tuple[str, str | Encoded]] = [("phonenumber", number)]
        if account is not None:
            if isinstance(account, bool) or account < 0:
                raise ValueError(f"Invalid account index {account!r}")
            params.append(("account", str(account)))
        await self._command("api-make_call", params)

    async def reboot(self) -> None:
        """Reboot the phone; a dropped connection is success: it may go down first (§5.7)."""
        try:
            await self._command("api-sys_operation", [("request", "REBOOT")])
        except _DisconnectedError:
            _LOGGER.debug("The phone dropped the connection after REBOOT: restarting")

    async def identify(self, login: bool = False) -> PhoneIdentity:
        """Return model, firmware and MAC from the line status and the `Server` header.

        `login`: ONE web login for `mac` and `ver`, never retried (phones lock web access
        after 5 failures); a failed one leaves those None, a `locked` one raises.
        """
        line_count: int | None = None
        try:
            lines, reply = await self._line_status()
        except CtiResponseError as err:
            if err.status != 404:
                raise
            # A firmware without line status (GXP116x, cti-api.md §10 item 7) may take keys:
            # an empty `keys=` checks the passcode: a wrong one answers `unauthorized` [INF
            # §3.3], the right one `unknown` [DOC S2] for no known key [INF], or success.
            try:
                await self._command(SEND_KEY, [("keys", Encoded(""))])
            except CtiCommandError as err:
                _LOGGER.debug("The phone took the passcode and refused no key: %s", err)
            server = self.server_header
        else:
            line_count = len(lines)
            server = reply.headers.get("Server")
        model, firmware = _header_facts(server)
        mac = None
        if login:
            try:
                async with self.session(require_sid=False) as web:
                    mac = _sourced(web.mac, InfoSource.LOGIN)
                    firmware = _sourced(web.firmware, InfoSource.LOGIN) or firmware
            except CtiError as err:
                if isinstance(err, CtiAuthError) and err.locked:
                    raise
                _LOGGER.debug("Login for identification failed: %s", err)
        return PhoneIdentity(
            model=model,
            firmware=firmware,
            mac=mac,
            line_count=line_count,
            server_header=server,
            keys_only=line_count is None,
        )

    async def identify_without_password(self) -> PhoneIdentity:
        """Return model, firmware and HTTPS redirect of the web root, sending no password."""
        reply = await self._request("GET", "/")
        server = reply.headers.get("Server")
        location = reply.headers.get("Location", "")
        https_redirect = (
            self._base.scheme == "http"
            and reply.status in _REDIRECTS
            and location.lower().startswith("https://")
        )
        model, firmware = _header_facts(server)
        return PhoneIdentity(
            model=model,
            firmware=firmware,
            server_header=server,
            https_redirect=https_redirect,
            https_port=URL(location).explicit_port if https_redirect else None,
        )

    def _web_headers(self) -> dict[str, str]:
        """Return the same-origin headers the web UI's form posts need (§3.2)."""
        origin = str(self._base)
        return {
            "Origin": origin,
            "Referer": f"{origin}/",
            "X-Requested-With": "XMLHttpRequest",
        }

    async def _login(self, http: aiohttp.ClientSession) -> WebSession:
        """Log in once as `admin`: variant c, or b without `access` (which costs no attempt)."""
        post = partial(self._request, "POST", headers=self._web_headers(), http=http)
        reply = await post(CGI + ACCESS, form={"access": _sha256(LOGIN_USER)})
        if reply.status in _NO_PAGE:
            password = self._password
        else:
            nonce = parse_envelope(ACCESS, reply.status, reply.data).body
            if not isinstance(nonce, str) or not nonce:
                raise CtiResponseError(f"{ACCESS}: the answer carries no nonce")
            password = _sha256(self._password + nonce)
        reply = await post(
            CGI + LOGIN, form={"username": LOGIN_USER, "password": password}
        )
        try:
            envelope = parse_envelope(LOGIN, reply.status, reply.data)
        except CtiCommandError as err:
            # `wrong<N>` (attempts left) or `user is not allow`: the password is refused.
            raise CtiAuthError(
                f"{self._base.host}: the web login was refused ({err.body!r})"
            ) from None
        body = envelope.body if isinstance(envelope.body, dict) else {}
        sid = body.get("sid")
        sid = sid if isinstance(sid, str) else ""
        version = body.get("ver")
        # Send the sid everywhere the variants read it (§3.2 b and c).
        cookies = {
            **reply.cookies,
            "sid": sid,
            "session-identity": sid,
            "session-role": reply.cookies.get("session-role", "admin"),
        }
        return WebSession(
            client=self,
            http=http,
            sid=sid,
            cookies=cookies,
            firmware=version.strip() or None if isinstance(version, str) else None,
            mac=normalize_mac(body.get("mac")),
        )

    @asynccontextmanager
    async def session(self, *, require_sid: bool = True) -> AsyncIterator[WebSession]:
        """Open ONE web session, never retried (phones lock out), and log out at the end."""
        # The phone's cookies must stay out of the injected (shared) session's jar.
        shared = self._session.connector
        async with aiohttp.ClientSession(
            connector=shared,
            connector_owner=shared is None,  # no shared one: close our own
            cookie_jar=aiohttp.DummyCookieJar(),
        ) as http:
            web = await self._login(http)
            if require_sid and not web.sid:
                raise CtiResponseError(f"{LOGIN}: the answer carries no session id")
            try:
                yield web
            finally:
                if web.sid:
                    await web.logout()


def _session_envelope(endpoint: str, reply: _Reply) -> Envelope:
    """Parse a web-session answer; a 401 page there means the session ended."""
    try:
        return parse_envelope(endpoint, reply.status, reply.data)
    except CtiPasswordNotAcceptedError:
        raise CtiAuthError(
            f"{endpoint}: the web session ended (another login may have replaced it)"
        ) from None


def _config_values(reply: _Reply) -> list[Any]:
    """Return the `configs` list of a config_get answer (§5.8), with or without envelope."""
    try:
        obj = json.loads(reply.data.decode("utf-8-sig", errors="replace"))
    except ValueError:
        obj = None
    if not (200 <= reply.status < 300 and isinstance(obj, dict) and "configs" in obj):
        # Enveloped, or an HTTP error or HTML page, which the envelope parser raises for.
        obj = _session_envelope(CONFIG_GET, reply).body
    configs = obj.get("configs") if isinstance(obj, dict) else None
    if not isinstance(configs, list):
        raise CtiResponseError(f"{CONFIG_GET}: the answer carries no 'configs' list")
    return configs


def _text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(kw_only=True, repr=False, eq=False)
class WebSession:
    """A logged-in web session; values via `api.values.*`, else `config_*` (§5.8)."""

    client: CtiClient
    http: aiohttp.ClientSession
    sid: str  # "" when the login answer carried none
    cookies: Mapping[str, str]
    firmware: str | None
    mac: str | None
    _config_api: bool = field(default=False, init=False)

    def __repr__(self) -> str:
        """Return a representation without the sid."""
        return f"WebSession({self.client.base_url})"

    async def _call(
        self,
        endpoint: str,
        *,
        method: str = "POST",
        form: dict[str, str] | None = None,
        params: Params = (),
        json_body: object = None,
    ) -> _Reply:
        """Send one request with the sid as cookies (and as a form field)."""
        headers = self.client._web_headers()  # noqa: SLF001
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return await self.client._request(  # noqa: SLF001
            method,
            CGI + endpoint,
            params,
            form=None if form is None else {**form, "sid": self.sid},
            json_body=json_body,
            headers=headers,
            http=self.http,
        )

    async def _values_api(self, action: str, form: dict[str, str]) -> Envelope | None:
        """POST `api.values.<action>`; None once the phone answered it with HTTP 404."""
        if self._config_api:
            return None
        endpoint = f"api.values.{action}"
        reply = await self._call(endpoint, form=form)
        if reply.status == 404:
            self._config_api = True
            return None
        return _session_envelope(endpoint, reply)

    async def logout(self) -> None:
        """End the session; failures are only logged."""
        try:
            await self._call("dologout", form={})
        except CtiError as err:
            _LOGGER.debug("Logout failed: %s", err)

    async def get_values(self, names: Iterable[str]) -> dict[str, str]:
        """Read P-values; a name the phone lacks comes back as ""."""
        wanted = list(names)
        envelope = await self._values_api("get", {"request": ":".join(wanted)})
        if envelope is not None:
            if not isinstance(envelope.body, dict):
                raise CtiResponseError("api.values.get: the body is not an object")
            return {name: _text(envelope.body.get(name)) for name in wanted}
        reply = await self._call(
            CONFIG_GET, method="GET", params=[("pvalues", ",".join(wanted))]
        )
        found: dict[str, str] = {}
        for entry in _config_values(reply):
            if isinstance(entry, dict):
                for key in (entry.get("pvalue"), entry.get("alias")):
                    if isinstance(key, str) and key:
                        found[key] = _text(entry.get("value"))
        return {name: found.get(name, "") for name in wanted}

    async def set_values(self, values: Mapping[str, str]) -> None:
        """Write P-values; raise CtiError when the phone refuses."""
        envelope = await self._values_api("post", dict(values))
        if envelope is not None:
            check_command("api.values.post", envelope)
            return
        reply = await self._call(
            "config_update",
            method="PUT",
            json_body={"alias": {}, "pvalue": dict(values)},
        )
        check_command("config_update", _session_envelope("config_update", reply))
