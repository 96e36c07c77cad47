"""Fault injection, lockout with the test clock, CTI gating, pop-up, web login."""

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from gxp_simulator import Faults, SimulatedPhone
from gxp_simulator.auth import ip_allowed
from gxp_simulator.faults import wrong_type
from gxp_simulator.settings import PhoneSettings

from .conftest import CONFIGURED, Cti, web_login

WRONG = "nope"
USER = "123"


async def test_latency(cti: Cti) -> None:
    """The answer comes only after the configured latency."""
    cti.sim.phone.set_faults(latency=0.2)
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert (await cti.json("api-get_phone_status"))["body"] == "available"
    assert loop.time() - start >= 0.19


async def test_no_answer_until_client_gives_up(cti: Cti) -> None:
    """The request hangs; the client times out; later requests work again."""
    cti.sim.phone.set_faults(no_answer=True)
    with pytest.raises(TimeoutError):
        async with cti.session.get(
            cti.sim.url("api-get_line_status"),
            params={"passcode": "admin"},
            timeout=aiohttp.ClientTimeout(total=0.2),
        ):
            pass
    assert cti.sim.phone.requests.count("api-get_line_status") == 1
    cti.sim.phone.clear_faults()
    assert await cti.lines() == ["idle", "idle"]


async def test_held_request_is_answered_when_fault_cleared(cti: Cti) -> None:
    """Clearing no_answer releases a waiting request, which is then answered."""
    phone = cti.sim.phone
    phone.set_faults(no_answer=True)
    pending = asyncio.ensure_future(cti.json("api-get_phone_status"))
    await phone.wait_for(lambda p: len(p.requests) == 1)
    phone.set_faults(latency=0)  # another change does not release it
    await asyncio.sleep(0.05)
    assert not pending.done()
    phone.set_faults(no_answer=False)
    assert (await pending)["body"] == "available"


async def test_connection_refused_and_back(cti: Cti) -> None:
    """refuse_connections stops listening; accept_connections listens again."""
    phone = cti.sim.phone
    phone.refuse_connections()
    await phone.wait_for(lambda p: p.refusing and not cti.sim.listening)
    with pytest.raises(aiohttp.ClientConnectorError):
        await cti.lines()
    await phone.accept_connections()
    assert cti.sim.listening
    assert await cti.lines() == ["idle", "idle"]


async def test_connection_refused_for_a_while(cti: Cti) -> None:
    """With a duration the phone comes back by itself."""
    phone = cti.sim.phone
    phone.refuse_connections(0.05)
    await phone.wait_for(lambda p: p.refusing)
    await phone.wait_for(lambda p: not p.refusing)
    assert await cti.lines() == ["idle", "idle"]


@pytest.mark.parametrize("status", [401, 403, 500])
async def test_http_error_pages(cti: Cti, status: int) -> None:
    """HTTP errors with HTML bodies."""
    cti.sim.phone.set_faults(http_status=status)
    got, text, headers = await cti.request("api-get_line_status")
    assert got == status
    assert text.startswith("<html>")
    assert headers["Content-Type"].startswith("text/html")


async def test_login_page_with_200(cti: Cti) -> None:
    """A 200 HTML login page where JSON was expected."""
    cti.sim.phone.set_faults(login_page=True)
    status, text, _ = await cti.request("api-get_line_status")
    assert status == 200
    assert '<form method="post" action="/cgi-bin/dologin">' in text


async def test_truncated_json(cti: Cti) -> None:
    """Half a JSON document."""
    cti.sim.phone.set_faults(truncated_json=True)
    status, text, _ = await cti.request("api-get_phone_status")
    assert status == 200
    assert text.startswith('{"response":"su')
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


async def test_wrong_body_types(cti: Cti) -> None:
    """Lines as an object, status as a number, boolean as a string."""
    phone = cti.sim.phone
    phone.set_faults(wrong_types=True)
    lines = await cti.json("api-get_line_status")
    assert isinstance(lines["body"], dict)
    assert (await cti.json("api-get_phone_status"))["body"] == 0
    assert (await cti.op("endcall"))["body"] == "false"
    assert wrong_type({"a": 1}) == [{"a": 1}]
    assert wrong_type(True) == "true"
    assert wrong_type(3) == "3"


async def test_fault_scope_and_count(cti: Cti) -> None:
    """Faults can target endpoints and last for N requests."""
    phone = cti.sim.phone
    phone.set_faults(
        http_status=500, endpoints=["/cgi-bin/api-get_line_status"], times=2
    )
    assert (await cti.json("api-get_phone_status"))["body"] == "available"
    assert (await cti.request("api-get_line_status"))[0] == 500
    assert phone.faults.times == 1
    assert (await cti.request("api-get_line_status"))[0] == 500
    assert not phone.faults.active()
    assert (await cti.request("api-get_line_status"))[0] == 200


def test_fault_validation() -> None:
    """Bad values are refused with clear errors."""
    faults = Faults()
    for name, value in (
        ("latency", -1),
        ("latency", True),
        ("no_answer", 1),
        ("endpoints", "api-x"),
        ("times", 0),
    ):
        with pytest.raises(TypeError):
            faults.update(**{name: value})
    with pytest.raises(ValueError, match="http_status"):
        faults.update(http_status=404)
    with pytest.raises(AttributeError):
        faults.update(explode=True)
    faults.update(endpoints=None, times=None, http_status=None)
    assert faults.to_json()["endpoints"] is None


async def test_lockout_and_expiry(cti: Cti) -> None:
    """5 wrong passcodes lock for 5 minutes; the test clock ends the lockout [DOC S10; CAP S8]."""
    phone = cti.sim.phone
    bad = Cti(cti.session, cti.sim, password=WRONG)
    for _ in range(4):
        assert (await bad.json("api-get_line_status"))["body"] == "unauthorized"
    locked = {"response": "error", "body": "locked", "lockTime": 5}
    assert await bad.json("api-get_line_status") == locked
    assert await cti.json("api-get_line_status") == locked  # right password too
    phone.clock.advance(4 * 60 + 1)
    assert (await cti.json("api-get_line_status"))["lockTime"] == 1
    phone.clock.advance(60)
    assert (await cti.json("api-get_line_status"))["response"] == "success"
    with pytest.raises(ValueError, match="forward"):
        phone.clock.advance(-1)


async def test_success_resets_failure_count(cti: Cti) -> None:
    """A correct passcode resets the counter."""
    bad = Cti(cti.session, cti.sim, password=WRONG)
    for _ in range(4):
        await bad.json("api-get_phone_status")
    await cti.json("api-get_phone_status")
    assert (await bad.json("api-get_phone_status"))["body"] == "unauthorized"


async def login(
    cti: Cti, username: str, password: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """Log in like the web UI; return the JSON answer and the cookies set."""
    return await web_login(cti.session, cti.sim, username, password)


async def test_dologin_session(cti: Cti) -> None:
    """Variant b login: sid, role, ver, mac; the sid then authenticates [CODE S19; CAP S8]."""
    phone = cti.sim.phone
    answer, cookies = await login(cti, "admin", "admin")
    assert answer["response"] == "success"
    body = answer["body"]
    assert body["role"] == "admin"
    assert body["ver"] == "1.0.8.9"
    assert body["mac"] == phone.mac
    assert cookies["session-identity"] == body["sid"]
    status, text, _ = await cti.request(
        "api-get_phone_status", auth=False, sid=body["sid"]
    )
    assert status == 200 and json.loads(text)["body"] == "available"
    status, text, _ = await cti.request("api-get_phone_status", auth=False, sid="bogus")
    assert status == 401 and "<html>" in text  # expired session [CAP S8]
    phone.clock.advance(601)
    status, _, _ = await cti.request(
        "api-get_phone_status", auth=False, sid=body["sid"]
    )
    assert status == 401


async def test_dologin_failures_and_lockout(cti: Cti) -> None:
    """wrong<N>, user not allowed, then locked with lockTime."""
    assert (await login(cti, "user", "123"))[0] == {
        "response": "error",
        "body": "user is not allow",
    }
    for left in (4, 3, 2, 1):
        assert (await login(cti, "admin", "x"))[0]["body"] == f"wrong{left}"
    assert (await login(cti, "admin", "x"))[0] == {
        "response": "error",
        "body": "locked",
        "lockTime": 5,
    }
    assert (await login(cti, "admin", "admin"))[0]["body"] == "locked"


async def test_user_password(cti: Cti) -> None:
    """With a user password, user may log in and use it as passcode [DOC S1]."""
    cti.sim.phone.settings.user_password = USER
    answer, _ = await login(cti, "user", "123")
    assert answer["body"]["role"] == "user"
    assert (await login(cti, "user", "admin"))[0]["body"] == "wrong4"
    user = Cti(cti.session, cti.sim, password=USER)
    assert (await user.json("api-get_phone_status"))["body"] == "available"


async def test_gxp2170_cti_disabled(cti2170: Cti) -> None:
    """Action URI off or host not allowed: 403 with "forbidden" (or HTML) [INF]."""
    settings = cti2170.sim.phone.settings
    settings.action_uri_support = False
    status, text, _ = await cti2170.request("api-get_line_status")
    assert (status, json.loads(text)) == (
        403,
        {"response": "error", "body": "forbidden"},
    )
    settings.action_uri_support = True
    for allowed, ok in (
        ("", False),
        ("10.0.0.0/8", False),
        ("10.1.1.1, 127.0.0.1", True),
    ):
        settings.allowed_ips = allowed
        status, _, _ = await cti2170.request("api-get_line_status")
        assert (status == 200) is ok, allowed
    settings.allowed_ips = ""
    settings.forbidden_variant = "html"
    status, text, _ = await cti2170.request("api-get_line_status")
    assert status == 403 and "<html>" in text


async def test_gxp1165_has_no_gate(cti: Cti) -> None:
    """The GXP116x has no Remote Control settings: only the password counts [INF]."""
    cti.sim.phone.settings.update(action_uri_support=False, allowed_ips="", popup=True)
    assert (await cti.json("api-get_line_status"))["response"] == "success"


async def test_session_requests_skip_the_gate(http: aiohttp.ClientSession) -> None:
    """Web-session requests are the web UI, not Remote Control [I]."""
    async with SimulatedPhone.start(
        model="GXP2170", **{**CONFIGURED, "allowed_ips": ""}
    ) as sim:
        cti = Cti(http, sim)
        answer, _ = await login(cti, "admin", "admin")
        http.cookie_jar.clear()
        cookies = {"sid": answer["body"]["sid"]}
        async with http.get(
            sim.url("api-get_phone_status"), cookies=cookies
        ) as response:
            assert response.status == 200
        assert (await cti.request("api-get_phone_status"))[0] == 403


@pytest.mark.parametrize(
    ("variant", "body"), [("unauthorized", "unauthorized"), ("forbidden", "forbidden")]
)
async def test_popup_refuses(cti2170: Cti, variant: str, body: str) -> None:
    """Pop-up on: "unauthorized" [FORUM S7] or "forbidden"."""
    cti2170.sim.phone.settings.update(popup=True, popup_variant=variant)
    assert await cti2170.json("api-get_line_status") == {
        "response": "error",
        "body": body,
    }


async def test_popup_blocks_until_answered(cti2170: Cti) -> None:
    """Block variant: the request waits for the person at the phone [I]."""
    phone = cti2170.sim.phone
    phone.settings.update(popup=True, popup_variant="block")
    pending = asyncio.ensure_future(cti2170.json("api-get_phone_status"))
    await phone.wait_for(lambda p: len(p.requests) == 1)
    assert not pending.done()
    phone.answer_popup(True)
    assert (await pending)["body"] == "available"
    pending = asyncio.ensure_future(cti2170.json("api-get_phone_status"))
    await phone.wait_for(lambda p: len(p.requests) == 2)
    phone.answer_popup(False)
    assert (await pending)["body"] == "unauthorized"


def test_ip_allowed_edge_cases() -> None:
    """Semicolons, ANY, garbage entries and a missing peer address."""
    settings = PhoneSettings(allowed_ips="ANY")
    assert ip_allowed(None, settings)
    settings.allowed_ips = "junk; 127.0.0.1"
    assert ip_allowed("127.0.0.1", settings)
    assert not ip_allowed(None, settings)
    assert not ip_allowed("not-an-ip", settings)
