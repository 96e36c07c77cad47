"""Async client for the CTI HTTP API of Grandstream desk phones (`/cgi-bin/api-*`).

One `CtiClient` talks to one phone through an injected `aiohttp.ClientSession`.
Requests to the phone never overlap: every request holds the client's lock.

Authentication is the documented CTI style: `passcode=<password>` in the query of
every `api-*` request (`cti-api.md` §3.1). Some third-party code sends `password=`
instead (notably for `api-make_call`); this client sends `passcode=` only.

The password never appears in exceptions or logs: log lines carry the path and
the query with the password replaced by `***`.
"""

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
import logging
from typing import Final, NoReturn
from urllib.parse import quote, quote_plus

import aiohttp
from yarl import URL

from .envelope import Envelope, check_command, parse_envelope
from .errors import (
    CtiAuthError,
    CtiCommandError,
    CtiConnectionError,
    CtiError,
    CtiResponseError,
    CtiTimeoutError,
)
from .keys import KeyTable
from .models import (
    Account,
    DeviceInfo,
    InfoSource,
    LineStatus,
    PhoneOperation,
    PhoneStatus,
    Sourced,
    normalize_mac,
    parse_accounts,
    parse_line_status,
    parse_server_header,
)
from .url import Encoded, base_url, build_url, redacted_query

_LOGGER = logging.getLogger(__name__)

CGI: Final = "/cgi-bin/"
LINE_STATUS: Final = "api-get_line_status"
PHONE_STATUS: Final = "api-get_phone_status"
ACCOUNTS: Final = "api-get_accounts"
SEND_KEY: Final = "api-send_key"
PHONE_OPERATION: Final = "api-phone_operation"
MAKE_CALL: Final = "api-make_call"
SYS_OPERATION: Final = "api-sys_operation"
LOGIN: Final = "dologin"
LOGOUT: Final = "dologout"
VALUES_GET: Final = "api.values.get"
VALUES_POST: Final = "api.values.post"

LOGIN_USER: Final = "admin"

type Params = Sequence[tuple[str, str | Encoded]]


class _DisconnectedError(CtiConnectionError):
    """The phone closed the connection after the request was sent."""


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: Mapping[str, str]  # case-insensitive (aiohttp's CIMultiDictProxy)
    data: bytes


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
        """Create a client; `host` may carry a port (`10.0.0.5:8080`, `[fe80::1]:80`).

        Raise ValueError for an invalid host or port. `verify_ssl` only matters
        with `https`; phones use self-signed certificates, hence the default off.
        """
        self._session = session
        self._base = base_url(host, port, https=https)
        self._password = password
        self._ssl = verify_ssl
        self._timeout_s = timeout
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._lock = asyncio.Lock()
        self._secrets = (
            tuple(
                {
                    password,
                    quote(password, safe=""),
                    quote(password),
                    quote_plus(password),
                }
            )
            if password
            else ()
        )
        self.key_table = key_table or KeyTable()
        # The `Server` header of the latest answer: it names the firmware, so a phone
        # upgraded while it is in use shows its new version with the next read.
        self.server_header: str | None = None

    def __repr__(self) -> str:
        """Return a representation without the password."""
        return f"CtiClient({self._base})"

    @property
    def base_url(self) -> URL:
        """Return the phone's base URL (`http://host[:port]`), without credentials."""
        return self._base

    # --- transport -------------------------------------------------------

    def _leaks(self, err: BaseException | None) -> bool:
        """Return True when the exception chain mentions the password in any form."""
        depth = 0
        while err is not None and depth < 8:
            for text in (str(err), repr(err)):
                if any(secret in text for secret in self._secrets):
                    return True
            err = err.__cause__ or err.__context__
            depth += 1
        return False

    def _raise(
        self, kind: type[CtiError], path: str, what: str, err: BaseException
    ) -> NoReturn:
        """Raise `kind` about `err` without the password; chain `err` only if safe."""
        leaks = self._leaks(err)
        detail = type(err).__name__ if leaks or not str(err) else str(err)
        raise kind(f"{self._base.host}{path}: {what} ({detail})") from (
            None if leaks else err
        )

    async def _request(
        self,
        method: str,
        path: str,
        params: Params = (),
        *,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> _Reply:
        """Send one request while holding the lock, and read the whole answer."""
        url = build_url(self._base, path, params)
        _LOGGER.debug("%s %s?%s", method, path, redacted_query(params))
        async with self._lock:
            try:
                async with self._session.request(
                    method,
                    url,
                    data=form,
                    headers=headers,
                    ssl=self._ssl,
                    timeout=self._timeout,
                    allow_redirects=False,
                ) as resp:
                    data = await resp.read()
                    reply = _Reply(resp.status, resp.headers, data)
                    self.server_header = resp.headers.get("Server", self.server_header)
            except TimeoutError as err:
                self._raise(
                    CtiTimeoutError, path, f"no answer within {self._timeout_s} s", err
                )
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as err:
                self._raise(
                    _DisconnectedError, path, "the phone closed the connection", err
                )
            except aiohttp.ClientConnectorError as err:
                self._raise(CtiConnectionError, path, "cannot connect", err)
            except aiohttp.ClientOSError as err:
                self._raise(_DisconnectedError, path, "the connection broke", err)
            except aiohttp.ClientResponseError as err:
                self._raise(CtiResponseError, path, "invalid HTTP answer", err)
            except aiohttp.ClientError as err:
                self._raise(CtiConnectionError, path, "request failed", err)
        _LOGGER.debug(
            "%s %s -> HTTP %s, %d bytes", method, path, reply.status, len(data)
        )
        return reply

    async def _api(self, endpoint: str, params: Params = ()) -> tuple[Envelope, _Reply]:
        """GET one `api-*` endpoint with the passcode and return its envelope."""
        reply = await self._request(
            "GET", CGI + endpoint, [("passcode", self._password), *params]
        )
        return parse_envelope(endpoint, reply.status, reply.data), reply

    async def _command(self, endpoint: str, params: Params) -> None:
        """Run a command endpoint and check that its answer is positive."""
        envelope, _ = await self._api(endpoint, params)
        check_command(endpoint, envelope)

    # --- reads -------------------------------------------------------------

    async def get_line_status(self) -> list[LineStatus]:
        """Return the state of every line (`api-get_line_status`)."""
        envelope, _ = await self._api(LINE_STATUS)
        return parse_line_status(envelope.body)

    async def get_phone_status(self) -> PhoneStatus:
        """Return the overall phone state (`api-get_phone_status`)."""
        envelope, _ = await self._api(PHONE_STATUS)
        return PhoneStatus.from_json(envelope.body, envelope.fields.get("misc"))

    async def get_accounts(self) -> list[Account]:
        """Return the SIP accounts and their registration (`api-get_accounts`)."""
        envelope, _ = await self._api(ACCOUNTS)
        return parse_accounts(envelope.body)

    # --- commands ----------------------------------------------------------

    async def send_keys(
        self, keys: str | Sequence[str], table: KeyTable | None = None
    ) -> None:
        """Press keys in one request (`api-send_key`, keys joined with `:`).

        `keys` is user text parsed with the client's key table (`"XFER 1002#"`) or
        a sequence of logical tokens (`["XFER", "1", "#"]`). An unknown token, or
        one the phone's family lacks, raises CtiKeyError before anything is sent.
        `table` replaces the client's key table for this request only (the key probe
        tries a spelling this way without changing what other requests send).
        """
        table = table or self.key_table
        tokens = (
            table.parse(keys)
            if isinstance(keys, str)
            else tuple(table.token(token) for token in keys)
        )
        value = Encoded(table.encode(tokens))
        await self._command(SEND_KEY, [("keys", value)])

    async def phone_operation(self, operation: PhoneOperation | str) -> None:
        """Run `api-phone_operation` with `cmd=<operation>`.

        Raise ValueError for an operation that is not one of PhoneOperation.
        """
        command = PhoneOperation(operation)
        await self._command(PHONE_OPERATION, [("cmd", command.value)])

    async def make_call(self, number: str, account: int | None = None) -> None:
        """Place a call with `api-make_call` (needs Click-To-Dial on the phone).

        `account` is the phone's 0-based account index and is omitted when None.
        The number is sent percent-encoded (`+` as `%2B`). Some third-party code
        sends the password as `password=` on this endpoint; this client sends the
        documented `passcode=`.
        """
        number = number.strip()
        if not number:
            raise ValueError("The number to call is empty")
        params: list[tuple[str, str | Encoded]] = [("phonenumber", number)]
        if account is not None:
            if isinstance(account, bool) or account < 0:
                raise ValueError(f"Invalid account index {account!r}")
            params.append(("account", str(account)))
        await self._command(MAKE_CALL, params)

    async def reboot(self) -> None:
        """Reboot the phone (`api-sys_operation`, `request=REBOOT`).

        A connection the phone drops right after the request counts as success,
        because the phone may go down before it answers (`cti-api.md` §5.7).
        """
        try:
            await self._command(SYS_OPERATION, [("request", "REBOOT")])
        except _DisconnectedError:
            _LOGGER.debug("The phone dropped the connection after REBOOT: restarting")

    # --- identification ----------------------------------------------------

    async def identify(self, login: bool = False) -> DeviceInfo:
        """Return model, firmware and MAC as far as the phone reveals them.

        Reads the line status (which also checks the password) and takes model and
        firmware from the `Server` header (`Grandstream GXP2170 1.0.11.16`). With
        `login=True` it also makes ONE web login (`POST /cgi-bin/dologin`, user
        `admin`), whose answer carries `mac` and `ver`; it is never retried, since
        phones lock web access after 5 failures, and a failed login only leaves
        those facts None. A `locked` answer raises CtiAuthError(locked=True).
        Firmware from the login is preferred over the header's.
        """
        envelope, reply = await self._api(LINE_STATUS)
        lines = parse_line_status(envelope.body)
        server = reply.headers.get("Server")
        model, header_version = parse_server_header(server)

        firmware: Sourced[str] | None = None
        if header_version:
            firmware = Sourced(value=header_version, source=InfoSource.SERVER_HEADER)
        mac: Sourced[str] | None = None
        if login:
            login_mac, login_version = await self._login_facts()
            if login_mac:
                mac = Sourced(value=login_mac, source=InfoSource.LOGIN)
            if login_version:
                firmware = Sourced(value=login_version, source=InfoSource.LOGIN)

        return DeviceInfo(
            model=Sourced(value=model, source=InfoSource.SERVER_HEADER)
            if model
            else None,
            firmware=firmware,
            mac=mac,
            line_count=len(lines),
            server_header=server,
        )

    async def probe(self) -> DeviceInfo:
        """Return model and firmware from the web server's `Server` header, without the password.

        GETs the web root (`/`, the web UI's login page) with no credentials at all,
        so the request can never count as a failed login towards the phone's
        lockout. Any HTTP status is accepted (a login page, a redirect, an error
        page): only the header matters (`Grandstream GXP1165`, cti-api.md §8.3).
        Facts the header does not give are None; the MAC and the line count are
        always None. Raise CtiConnectionError when nothing answers.
        """
        reply = await self._request("GET", "/")
        server = reply.headers.get("Server")
        model, version = parse_server_header(server)
        return DeviceInfo(
            model=Sourced(value=model, source=InfoSource.SERVER_HEADER)
            if model
            else None,
            firmware=Sourced(value=version, source=InfoSource.SERVER_HEADER)
            if version
            else None,
            server_header=server,
        )

    def _web_headers(self) -> dict[str, str]:
        """Return the same-origin headers the web UI's form posts need (§3.2)."""
        origin = str(self._base)
        return {
            "Origin": origin,
            "Referer": f"{origin}/",
            "X-Requested-With": "XMLHttpRequest",
        }

    async def _login_facts(self) -> tuple[str | None, str | None]:
        """Log in once (variant b of §3.2) and return (mac, firmware) from the answer."""
        try:
            reply = await self._request(
                "POST",
                CGI + LOGIN,
                form={"username": LOGIN_USER, "password": self._password},
                headers=self._web_headers(),
            )
            envelope = parse_envelope(LOGIN, reply.status, reply.data)
        except CtiAuthError as err:
            if err.locked:
                raise
            _LOGGER.debug("Login for identification refused: %s", err)
            return None, None
        except CtiError as err:
            _LOGGER.debug("Login for identification failed: %s", err)
            return None, None

        body = envelope.body if isinstance(envelope.body, dict) else {}
        mac = normalize_mac(body.get("mac"))
        version = body.get("ver")
        if not isinstance(version, str) or not version.strip():
            version = None
        sid = body.get("sid")
        if isinstance(sid, str) and sid:
            await self._logout(sid)
        return mac, version.strip() if version else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[WebSession]:
        """Open ONE web session (dologin variant b, user `admin`) and log out at the end.

        The login is never retried, since phones lock web access after a few
        failures: a refused password raises CtiAuthError at once (`locked=True` when
        the phone is locked). A sid missing from the answer raises CtiResponseError.
        The sid is never logged. Logout failures are only logged.
        """
        reply = await self._request(
            "POST",
            CGI + LOGIN,
            form={"username": LOGIN_USER, "password": self._password},
            headers=self._web_headers(),
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
        if not isinstance(sid, str) or not sid:
            raise CtiResponseError(f"{LOGIN}: the answer carries no session id")
        try:
            yield WebSession(self, sid)
        finally:
            await self._logout(sid)

    async def _logout(self, sid: str) -> None:
        """End a web session; failures are only logged."""
        try:
            await self._request(
                "POST", CGI + LOGOUT, form={"sid": sid}, headers=self._web_headers()
            )
        except CtiError as err:
            _LOGGER.debug("Logout failed: %s", err)

    async def _session_call(
        self, endpoint: str, sid: str, form: dict[str, str]
    ) -> Envelope:
        """POST one web-session endpoint with the sid as form field and cookies."""
        headers = self._web_headers()
        headers["Cookie"] = f"sid={sid}; session-identity={sid}; session-role=admin"
        reply = await self._request(
            "POST", CGI + endpoint, form={**form, "sid": sid}, headers=headers
        )
        return parse_envelope(endpoint, reply.status, reply.data)


class WebSession:
    """A logged-in web session of one phone; get one from `CtiClient.session()`."""

    def __init__(self, client: CtiClient, sid: str) -> None:
        """Use `sid` with `client`; the sid is never shown."""
        self._client = client
        self._sid = sid

    def __repr__(self) -> str:
        """Return a representation without the sid."""
        return f"WebSession({self._client.base_url})"

    async def get_values(self, names: Iterable[str]) -> dict[str, str]:
        """Read P-values (`api.values.get`); a name the phone lacks comes back as ""."""
        wanted = list(names)
        envelope = await self._client._session_call(  # noqa: SLF001
            VALUES_GET, self._sid, {"request": ":".join(wanted)}
        )
        body = envelope.body
        if not isinstance(body, dict):
            raise CtiResponseError(f"{VALUES_GET}: the body is not an object")
        return {
            name: "" if body.get(name) is None else str(body[name]) for name in wanted
        }

    async def set_values(self, values: Mapping[str, str]) -> None:
        """Write P-values (`api.values.post`); raise CtiError when the phone refuses."""
        envelope = await self._client._session_call(  # noqa: SLF001
            VALUES_POST, self._sid, dict(values)
        )
        check_command(VALUES_POST, envelope)
