"""CtiClient against a mocked phone: every endpoint, answer variation and error."""

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp.client_reqrep import ConnectionKey
from aioresponses import CallbackResult, aioresponses
from multidict import CIMultiDict, CIMultiDictProxy
import pytest
from yarl import URL

from custom_components.grandstream_gxp.cti import (
    CtiAuthError,
    CtiClient,
    CtiCommandError,
    CtiConnectionError,
    CtiError,
    CtiForbiddenError,
    CtiKeyError,
    CtiPasswordNotAcceptedError,
    CtiResponseError,
    CtiTimeoutError,
    Family,
    KeyTable,
    LineState,
    PhoneOperation,
    PhoneState,
)

from .conftest import (
    HOST,
    PASSWORD,
    ExpectError,
    answer,
    api,
    only_query,
    requests_sent,
)

DOC_LINES = {
    "response": "success",
    "body": [
        {
            "line": 1,
            "state": "idle",
            "acct": "",
            "remotename": "",
            "remotenumber": "",
            "active": 0,
        },
        {
            "line": 2,
            "state": "idle",
            "acct": "",
            "remotename": "",
            "remotenumber": "",
            "active": 0,
        },
        {
            "line": 3,
            "state": "idle",
            "acct": "",
            "remotename": "",
            "remotenumber": "",
            "active": 0,
        },
    ],
}
WP826_LINES = (
    '{"response":"success","body":['
    '{"line":1,"conf":0,"state":"connected","acct":0,"active":0,'
    '"remotename":"+15555550100","remotenumber":"+15555550100"},'
    '{"line":2,"conf":1,"state":"onhold","acct":"0","active":1,'
    '"remotename":"","remotenumber":"1002"}]}'
)
OK_COMPLETE = {"response": "success", "body": "complete"}
OK_TRUE = {"response": "success", "body": True}


def conn_refused() -> aiohttp.ClientConnectorError:
    """Return the error aiohttp raises when the phone refuses the connection."""
    key = ConnectionKey(HOST, 80, False, True, None, None, None, None)
    return aiohttp.ClientConnectorError(key, OSError(111, "Connection refused"))


# --- reads ---------------------------------------------------------------


async def test_line_status_documented_example(
    client: CtiClient, mock: aioresponses
) -> None:
    """The guide's example parses; acct "" becomes None; the passcode is sent."""
    mock.get(api("api-get_line_status"), payload=DOC_LINES)
    lines = await client.get_line_status()
    assert [line.line for line in lines] == [1, 2, 3]
    assert all(line.state is LineState.IDLE for line in lines)
    assert lines[0].account is None
    assert lines[0].active is False
    assert lines[0].conference is None
    assert only_query(mock) == {"passcode": PASSWORD}
    method, url, kwargs = requests_sent(mock)[0]
    assert method == "GET"
    assert url.path == "/cgi-bin/api-get_line_status"
    assert kwargs["ssl"] is False
    assert kwargs["allow_redirects"] is False
    assert kwargs["timeout"] == aiohttp.ClientTimeout(total=10.0)


async def test_line_status_wp826_capture_as_text_html(
    client: CtiClient, mock: aioresponses
) -> None:
    """JSON served as text/html with conf, acct 0 and "0" parses."""
    mock.get(
        api("api-get_line_status"),
        body=WP826_LINES,
        content_type="text/html",
    )
    first, second = await client.get_line_status()
    assert first.state is LineState.CONNECTED
    assert first.account == 0
    assert first.conference is False
    assert first.remote_number == "+15555550100"
    assert second.state is LineState.ONHOLD
    assert second.account == 0
    assert second.active is True
    assert second.conference is True
    assert second.remote_name == ""


async def test_line_status_unknown_state_kept_raw(
    client: CtiClient, mock: aioresponses
) -> None:
    """A state the library does not know is kept in raw_state with state None."""
    body = {
        "response": "success",
        "body": [
            {"line": "1", "state": "transferring", "acct": 1, "active": "1"},
            {"line": 2, "state": "Ringing", "remotenumber": 1002},
        ],
    }
    mock.get(
        api("api-get_line_status"), body=json.dumps(body), content_type="text/plain"
    )
    first, second = await client.get_line_status()
    assert first.state is None
    assert first.raw_state == "transferring"
    assert first.line == 1
    assert first.account == 1
    assert first.active is True
    assert second.state is LineState.RINGING
    assert second.raw_state == "Ringing"
    assert second.remote_number == "1002"
    assert second.remote_name == ""
    assert second.account is None


@pytest.mark.parametrize(
    ("payload", "status", "raw", "misc"),
    [
        (
            {"response": "success", "body": "available"},
            PhoneState.AVAILABLE,
            "available",
            None,
        ),
        (
            {"response": "success", "body": "available", "misc": "0"},
            PhoneState.AVAILABLE,
            "available",
            "0",
        ),
        (
            {"response": "success", "body": "ringing", "misc": 0},
            PhoneState.RINGING,
            "ringing",
            "0",
        ),
        ({"response": "success", "body": "busy"}, PhoneState.BUSY, "busy", None),
        ({"response": "success", "body": "oncall"}, None, "oncall", None),
    ],
)
async def test_phone_status(
    client: CtiClient,
    mock: aioresponses,
    *,
    payload: dict[str, Any],
    status: PhoneState | None,
    raw: str,
    misc: str | None,
) -> None:
    """Phone status parses known, unknown and misc-carrying answers."""
    mock.get(api("api-get_phone_status"), payload=payload, content_type="text/html")
    result = await client.get_phone_status()
    assert result.status is status
    assert result.raw == raw
    assert result.misc == misc
    assert only_query(mock) == {"passcode": PASSWORD}


async def test_accounts(client: CtiClient, mock: aioresponses) -> None:
    """Accounts parse with the documented and the captured (auto_cfg) fields."""
    mock.get(
        api("api-get_accounts"),
        payload={
            "response": "success",
            "body": [
                {
                    "id": 1,
                    "sip_server": "testsipserver.com",
                    "sip_id": "1234",
                    "name": "test_account",
                    "reg": 1,
                    "auto_cfg": "",
                },
                {"id": "2", "sip_server": "", "sip_id": "", "name": "", "reg": "0"},
                {"id": 3},
            ],
        },
    )
    first, second, third = await client.get_accounts()
    assert first.id == 1
    assert first.sip_server == "testsipserver.com"
    assert first.sip_id == "1234"
    assert first.name == "test_account"
    assert first.registered is True
    assert second.id == 2
    assert second.registered is False
    assert third.registered is False
    assert third.name == ""


# --- commands --------------------------------------------------------------


async def test_send_keys_text(client: CtiClient, mock: aioresponses) -> None:
    """User text becomes one request; `#` arrives as `#` after decoding."""
    mock.get(api("api-send_key"), payload=OK_COMPLETE)
    await client.send_keys("XFER 1002#")
    assert only_query(mock) == {"passcode": PASSWORD, "keys": "XFER:1:0:0:2:#"}


async def test_send_keys_tokens(client: CtiClient, mock: aioresponses) -> None:
    """A sequence of tokens is validated, upper-cased and `*` becomes STAR."""
    mock.get(api("api-send_key"), payload=OK_COMPLETE)
    await client.send_keys(["line2", "*", "7", "send"])
    assert only_query(mock)["keys"] == "LINE2:STAR:7:SEND"


@pytest.mark.parametrize(
    "keys", ["FLASH", "XFER 1002 FLASH", ["HOLD", "BOGUS"], "", []]
)
async def test_send_keys_invalid_sends_nothing(
    client: CtiClient, mock: aioresponses, keys: str | list[str]
) -> None:
    """An unknown token raises CtiKeyError before any request."""
    with pytest.raises(CtiKeyError):
        await client.send_keys(keys)
    assert requests_sent(mock) == []


async def test_send_keys_family_restriction(
    session: aiohttp.ClientSession, mock: aioresponses
) -> None:
    """A key the family lacks (LINE3 on GXP116x) is refused before sending."""
    client = CtiClient(
        session, HOST, password=PASSWORD, key_table=KeyTable(Family.GXP116X)
    )
    with pytest.raises(CtiKeyError) as info:
        await client.send_keys("LINE3")
    assert info.value.key == "LINE3"
    assert requests_sent(mock) == []
    mock.get(api("api-send_key"), payload=OK_COMPLETE)
    await client.send_keys("SOFT3")
    assert only_query(mock)["keys"] == "SOFT3"


async def test_send_keys_overrides(client: CtiClient, mock: aioresponses) -> None:
    """Overrides replace the wire token of XFER and # in the request."""
    client.key_table = KeyTable(overrides={"XFER": "TRANSFER", "#": "POUND"})
    mock.get(api("api-send_key"), payload=OK_COMPLETE)
    await client.send_keys("xfer 1#")
    assert only_query(mock)["keys"] == "TRANSFER:1:POUND"


@pytest.mark.parametrize("operation", list(PhoneOperation))
async def test_phone_operations(
    client: CtiClient, mock: aioresponses, operation: PhoneOperation
) -> None:
    """Each documented operation is sent as cmd=<operation>."""
    mock.get(api("api-phone_operation"), payload=OK_TRUE)
    await client.phone_operation(operation)
    assert only_query(mock) == {"passcode": PASSWORD, "cmd": operation.value}


async def test_phone_operation_as_string(client: CtiClient, mock: aioresponses) -> None:
    """The operation may be given as its string; the body may be the string "true"."""
    mock.get(
        api("api-phone_operation"), payload={"response": "success", "body": "true"}
    )
    await client.phone_operation("holdcall")
    assert only_query(mock)["cmd"] == "holdcall"


async def test_phone_operation_invalid(client: CtiClient, mock: aioresponses) -> None:
    """An undocumented operation is refused before sending."""
    with pytest.raises(ValueError):
        await client.phone_operation("transfer")
    assert requests_sent(mock) == []


async def test_phone_operation_false(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError
) -> None:
    """The documented negative answer (body false) raises CtiCommandError."""
    mock.get(api("api-phone_operation"), payload={"response": "error", "body": False})
    err = await expect_error(CtiCommandError, client.phone_operation("endcall"))
    assert err.endpoint == "api-phone_operation"
    assert err.body is False


async def test_make_call(client: CtiClient, mock: aioresponses) -> None:
    """make_call sends the number (with +) and omits the account when None."""
    mock.get(api("api-make_call"), payload=OK_TRUE)
    await client.make_call(" +4930123#")
    assert only_query(mock) == {"passcode": PASSWORD, "phonenumber": "+4930123#"}
    (_, url, _) = requests_sent(mock)[0]
    assert "phonenumber=%2B4930123%23" in url.raw_query_string


async def test_make_call_with_account(client: CtiClient, mock: aioresponses) -> None:
    """The account is the phone's 0-based index, sent as is."""
    mock.get(api("api-make_call"), payload=OK_TRUE)
    await client.make_call("1002", account=0)
    assert only_query(mock) == {
        "passcode": PASSWORD,
        "phonenumber": "1002",
        "account": "0",
    }


@pytest.mark.parametrize(
    ("number", "account"), [("  ", None), ("1002", -1), ("1002", True)]
)
async def test_make_call_invalid(
    client: CtiClient, mock: aioresponses, number: str, account: Any
) -> None:
    """An empty number or a bad account index is refused before sending."""
    with pytest.raises(ValueError):
        await client.make_call(number, account=account)
    assert requests_sent(mock) == []


@pytest.mark.parametrize("body", ["savereboot", "reset", True, "complete"])
async def test_reboot(client: CtiClient, mock: aioresponses, body: object) -> None:
    """REBOOT is sent as request=REBOOT; documented positive bodies succeed."""
    mock.get(api("api-sys_operation"), payload={"response": "success", "body": body})
    await client.reboot()
    assert only_query(mock) == {"passcode": PASSWORD, "request": "REBOOT"}


@pytest.mark.parametrize(
    "exception",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("Response payload is not completed"),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
    ],
)
async def test_reboot_dropped_connection_is_success(
    client: CtiClient, mock: aioresponses, exception: Exception
) -> None:
    """The phone going down right after REBOOT counts as success."""
    mock.get(api("api-sys_operation"), exception=exception)
    await client.reboot()
    assert len(requests_sent(mock)) == 1


async def test_reboot_refused_is_an_error(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError
) -> None:
    """A refused connection is not a reboot."""
    mock.get(api("api-sys_operation"), exception=conn_refused())
    await expect_error(CtiConnectionError, client.reboot())


async def test_reboot_unknown(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError
) -> None:
    """The documented negative answer raises CtiCommandError."""
    mock.get(api("api-sys_operation"), payload={"response": "error", "body": "unknown"})
    err = await expect_error(CtiCommandError, client.reboot())
    assert err.body == "unknown"
    assert "api-sys_operation" in str(err)


@pytest.mark.parametrize("body", [False, "false", "failed", "unknown", " Error "])
async def test_negative_body_in_success_envelope(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError, body: object
) -> None:
    """A success envelope with a negative body still fails a command."""
    mock.get(api("api-send_key"), payload={"response": "success", "body": body})
    err = await expect_error(CtiCommandError, client.send_keys("1"))
    assert err.body == body
    assert err.endpoint == "api-send_key"


# --- error answers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (
            401,
            "<html><body>401 Unauthorized</body></html>",
            CtiPasswordNotAcceptedError,
        ),
        (403, "<html><body>403 Forbidden</body></html>", CtiForbiddenError),
        (403, '{"response":"error","body":"forbidden"}', CtiForbiddenError),
        (404, "<html>Not Found</html>", CtiResponseError),
        (500, "", CtiResponseError),
        (503, '{"response":"error","body":"failed"}', CtiResponseError),
        (302, "", CtiResponseError),
        (411, "", CtiResponseError),
    ],
)
async def test_http_errors(
    client: CtiClient,
    mock: aioresponses,
    expect_error: ExpectError,
    *,
    status: int,
    body: str,
    kind: type[CtiError],
) -> None:
    """HTTP errors map to auth, forbidden or response errors."""
    mock.get(
        api("api-get_line_status"),
        status=status,
        body=body,
        content_type="text/html",
        headers={"Location": "/login"},
    )
    err = await expect_error(kind, client.get_line_status())
    assert type(err) is kind
    if isinstance(err, CtiResponseError):
        assert err.status == status
        assert f"HTTP {status}" in str(err)
    if isinstance(err, CtiAuthError):
        assert err.locked is False
        assert "pop up" in str(err).lower()
        assert "GXP21xx" in str(err)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("<!DOCTYPE html><html><body>Login</body></html>", "HTML"),
        ('{"response":"success","body":[{"line":1,"sta', "truncated"),
        ("", "empty"),
        ("   ", "empty"),
        ("not json at all", "invalid"),
        ("[1, 2]", "'response'"),
        ('{"body": []}', "'response'"),
        ('{"response": true, "body": []}', "'response'"),
        ("[" * 100_000, "invalid"),
    ],
)
async def test_not_the_api_json(
    client: CtiClient,
    mock: aioresponses,
    expect_error: ExpectError,
    body: str,
    problem: str,
) -> None:
    """Anything that is not the API's JSON envelope raises CtiResponseError."""
    mock.get(api("api-get_line_status"), body=body, content_type="text/html")
    err = await expect_error(CtiResponseError, client.get_line_status())
    assert problem in str(err)
    assert err.status == 200


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("get_line_status", "complete"),
        ("get_line_status", {"line": 1}),
        ("get_line_status", ["idle"]),
        ("get_line_status", [{"state": "idle"}]),
        ("get_line_status", [{"line": "one", "state": "idle"}]),
        ("get_line_status", [{"line": True, "state": "idle"}]),
        ("get_line_status", [{"line": 1, "state": 3}]),
        ("get_line_status", [{"line": 1, "state": "idle", "active": "maybe"}]),
        ("get_line_status", [{"line": 1, "state": "idle", "active": None}]),
        ("get_line_status", [{"line": 1, "state": "idle", "acct": "x"}]),
        ("get_line_status", [{"line": 1, "state": "idle", "remotenumber": {}}]),
        ("get_line_status", [{"line": 1, "state": "idle", "conf": [1]}]),
        ("get_phone_status", ["available"]),
        ("get_phone_status", None),
        ("get_accounts", {"id": 1}),
        ("get_accounts", [{"sip_id": "1"}]),
        ("get_accounts", [{"id": 1, "reg": "x" * 100}]),
    ],
)
async def test_wrong_shapes(
    client: CtiClient,
    mock: aioresponses,
    expect_error: ExpectError,
    method: str,
    body: object,
) -> None:
    """A body of the wrong shape raises CtiResponseError."""
    mock.get(
        api("api-get_(line_status|phone_status|accounts)"),
        payload={"response": "success", "body": body},
    )
    err = await expect_error(CtiResponseError, getattr(client, method)())
    assert len(str(err)) < 200


async def test_phone_status_wrong_misc(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError
) -> None:
    """A misc field of an odd type is a wrong shape."""
    mock.get(
        api("api-get_phone_status"),
        payload={"response": "success", "body": "busy", "misc": {"a": 1}},
    )
    await expect_error(CtiResponseError, client.get_phone_status())


async def test_unauthorized_body(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError
) -> None:
    """Body "unauthorized" is a wrong password (or the pop-up, per FORUM S7)."""
    mock.get(
        api("api-get_line_status"),
        payload={"response": "error", "body": "unauthorized"},
    )
    err = await expect_error(CtiAuthError, client.get_line_status())
    assert err.locked is False
    assert err.lock_minutes is None
    assert "Remote Control Pop up" in str(err)


@pytest.mark.parametrize(
    ("lock_time", "minutes"), [(5, 5), ("7", 7), (None, None), (True, None)]
)
async def test_locked_body(
    client: CtiClient,
    mock: aioresponses,
    expect_error: ExpectError,
    lock_time: object,
    minutes: int | None,
) -> None:
    """The lockout answer raises CtiAuthError with locked=True."""
    mock.get(
        api("api-get_line_status"),
        payload={"response": "error", "body": "locked", "lockTime": lock_time},
    )
    err = await expect_error(CtiAuthError, client.get_line_status())
    assert err.locked is True
    assert err.lock_minutes == minutes
    assert "locked" in str(err)
    if minutes is not None:
        assert f"{minutes} minutes" in str(err)


async def test_locked_with_http_401(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError
) -> None:
    """A lockout answer with HTTP 401 is still reported as locked."""
    mock.get(
        api("api-get_line_status"),
        status=401,
        payload={"response": "error", "body": "locked", "lockTime": 5},
    )
    err = await expect_error(CtiAuthError, client.get_line_status())
    assert err.locked is True


async def test_forbidden_body(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError
) -> None:
    """Body "forbidden" means remote control is not allowed."""
    mock.get(
        api("api-get_phone_status"), payload={"response": "error", "body": "forbidden"}
    )
    err = await expect_error(CtiForbiddenError, client.get_phone_status())
    assert "allowed IP list" in str(err)


async def test_session_expired_body(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError
) -> None:
    """A session-expired status body is an auth error."""
    mock.get(
        api("api-get_accounts"),
        payload={"response": "error", "body": {"status": "session-expired"}},
    )
    err = await expect_error(CtiAuthError, client.get_accounts())
    assert "session-expired" in str(err)


@pytest.mark.parametrize(
    "body", ["failed", "unknown", False, "invalid request", None, "x" * 200]
)
async def test_error_bodies(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError, body: object
) -> None:
    """Other error answers raise CtiCommandError keeping endpoint and body."""
    mock.get(api("api-send_key"), payload={"response": "error", "body": body})
    err = await expect_error(CtiCommandError, client.send_keys("SEND"))
    assert err.endpoint == "api-send_key"
    assert err.body == body
    assert len(str(err)) < 120


# --- transport errors --------------------------------------------------------


@pytest.mark.parametrize(
    ("exception", "kind"),
    [
        (conn_refused(), CtiConnectionError),
        (aiohttp.ClientConnectionError("Connection refused"), CtiConnectionError),
        (TimeoutError(), CtiTimeoutError),
        (
            aiohttp.ServerTimeoutError("Timeout on reading data from socket"),
            CtiTimeoutError,
        ),
        (aiohttp.ServerDisconnectedError(), CtiConnectionError),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), CtiConnectionError),
        (aiohttp.ClientPayloadError("payload"), CtiConnectionError),
    ],
)
async def test_transport_errors(
    client: CtiClient,
    mock: aioresponses,
    expect_error: ExpectError,
    exception: Exception,
    kind: type[CtiError],
) -> None:
    """Network failures become CtiConnectionError or CtiTimeoutError, chained."""
    mock.get(api("api-get_line_status"), exception=exception)
    err = await expect_error(kind, client.get_line_status())
    assert isinstance(err, CtiConnectionError)
    assert err.__cause__ is exception
    assert HOST in str(err)


def _secret_url() -> URL:
    return URL(f"http://{HOST}/cgi-bin/api-get_line_status").with_query(
        passcode=PASSWORD
    )


@pytest.mark.parametrize(
    ("exception", "kind"),
    [
        (
            aiohttp.ConnectionTimeoutError(
                f"Connection timeout to host {_secret_url()}"
            ),
            CtiTimeoutError,
        ),
        (aiohttp.InvalidURL(_secret_url()), CtiConnectionError),
        (aiohttp.ClientConnectionError(f"failed: {PASSWORD}"), CtiConnectionError),
        (
            aiohttp.ClientResponseError(
                aiohttp.RequestInfo(
                    _secret_url(), "GET", CIMultiDictProxy(CIMultiDict()), _secret_url()
                ),
                (),
                status=400,
                message="Invalid header",
            ),
            CtiResponseError,
        ),
    ],
)
async def test_transport_error_with_url_does_not_leak(
    client: CtiClient,
    mock: aioresponses,
    expect_error: ExpectError,
    exception: Exception,
    kind: type[CtiError],
) -> None:
    """An aiohttp error that shows the URL is neither quoted nor chained."""
    mock.get(api("api-get_line_status"), exception=exception)
    err = await expect_error(kind, client.get_line_status())
    assert err.__cause__ is None
    assert type(exception).__name__ in str(err)


async def test_short_password_errors_stay_readable(
    session: aiohttp.ClientSession, mock: aioresponses, expect_error: ExpectError
) -> None:
    """With an empty password nothing counts as a leak; details are kept."""
    client = CtiClient(session, HOST, password="")
    mock.get(api("api-get_line_status"), exception=conn_refused())
    err = await expect_error(CtiConnectionError, client.get_line_status())
    assert "Connection refused" in str(err)
    assert err.__cause__ is not None


# --- the lock ----------------------------------------------------------------


async def test_requests_never_overlap(client: CtiClient, mock: aioresponses) -> None:
    """Two concurrent send_keys run one after the other."""
    events: list[str] = []
    first_inside = asyncio.Event()
    release = asyncio.Event()

    async def phone(url: URL, **kwargs: Any) -> CallbackResult:
        keys = url.query["keys"]
        events.append(f"enter {keys}")
        if not first_inside.is_set():
            first_inside.set()
            await release.wait()
        events.append(f"exit {keys}")
        return answer(payload=OK_COMPLETE)

    mock.get(api("api-send_key"), callback=phone, repeat=True)
    first = asyncio.create_task(client.send_keys("1"))
    second = asyncio.create_task(client.send_keys("2"))
    await first_inside.wait()
    for _ in range(20):
        await asyncio.sleep(0)
    assert events == ["enter 1"]
    release.set()
    await asyncio.gather(first, second)
    assert events == ["enter 1", "exit 1", "enter 2", "exit 2"]


async def test_lock_released_after_error(
    client: CtiClient, mock: aioresponses, expect_error: ExpectError
) -> None:
    """A failed request does not keep the lock."""
    mock.get(api("api-send_key"), exception=TimeoutError())
    await expect_error(CtiTimeoutError, client.send_keys("1"))
    mock.get(api("api-send_key"), payload=OK_COMPLETE)
    await asyncio.wait_for(client.send_keys("2"), timeout=5)


# --- construction ------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "https", "expected"),
    [
        ("10.0.0.5", None, False, "http://10.0.0.5"),
        ("10.0.0.5:8080", None, False, "http://10.0.0.5:8080"),
        ("10.0.0.5:8080", 81, False, "http://10.0.0.5:81"),
        ("phone.lan", 443, True, "https://phone.lan"),
        (" phone.lan ", None, True, "https://phone.lan"),
        ("[fe80::1]:8080", None, False, "http://[fe80::1]:8080"),
        ("[fe80::1]", None, False, "http://[fe80::1]"),
        ("fe80::1", None, False, "http://[fe80::1]"),
    ],
)
def test_base_url(
    session: aiohttp.ClientSession,
    host: str,
    port: int | None,
    https: bool,
    expected: str,
) -> None:
    """Host, port and scheme combine into the base URL."""
    client = CtiClient(session, host, password=PASSWORD, port=port, https=https)
    assert str(client.base_url) == expected
    assert PASSWORD not in repr(client)
    assert expected in repr(client)


@pytest.mark.parametrize(
    ("host", "port"),
    [
        ("", None),
        ("phone:abc", None),
        ("phone", 0),
        ("phone", 70000),
        ("[fe80::1]x", None),
        ("user@phone", None),
        ("phone/path", None),
    ],
)
def test_invalid_host(
    session: aiohttp.ClientSession, host: str, port: int | None
) -> None:
    """An invalid host or port raises ValueError."""
    with pytest.raises(ValueError):
        CtiClient(session, host, password=PASSWORD, port=port)


@pytest.mark.parametrize(
    ("https", "verify_ssl", "ssl"),
    [(True, True, True), (True, False, False), (False, False, False)],
)
async def test_ssl_and_timeout(
    session: aiohttp.ClientSession,
    mock: aioresponses,
    https: bool,
    verify_ssl: bool,
    ssl: bool,
) -> None:
    """verify_ssl selects aiohttp's default context; the timeout is total."""
    client = CtiClient(
        session,
        HOST,
        password=PASSWORD,
        https=https,
        verify_ssl=verify_ssl,
        timeout=3.5,
    )
    mock.get(api("api-send_key"), payload=OK_COMPLETE)
    await client.send_keys("1")
    (_, url, kwargs) = requests_sent(mock)[0]
    assert url.scheme == ("https" if https else "http")
    assert kwargs["ssl"] is ssl
    assert kwargs["timeout"] == aiohttp.ClientTimeout(total=3.5)


async def test_debug_log_redacts_password(
    client: CtiClient, mock: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    """Requests are logged with path and redacted query only."""
    mock.get(api("api-make_call"), payload=OK_TRUE)
    await client.make_call("1002", account=1)
    messages = [record.getMessage() for record in caplog.records]
    assert (
        "GET /cgi-bin/api-make_call?passcode=***&phonenumber=1002&account=1" in messages
    )
    assert any("-> HTTP 200" in message for message in messages)
