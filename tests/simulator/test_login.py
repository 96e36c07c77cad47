"""Web login variants b and c, sessions and the newer web UI's config API (cti-api.md 3.2)."""

import asyncio
import json

import aiohttp
import pytest

from gxp_simulator import SimulatedPhone

from .conftest import PASSWORD, Cti, sha256_hex, web_headers, web_login


async def _access(http: aiohttp.ClientSession, sim: SimulatedPhone) -> str:
    async with http.post(
        sim.url("access"),
        data={"access": sha256_hex("admin")},
        headers=web_headers(sim),
    ) as response:
        answer = await response.json(content_type=None)
    assert answer["response"] == "success"
    nonce: str = answer["body"]
    return nonce


async def _dologin(
    http: aiohttp.ClientSession, sim: SimulatedPhone, password: str
) -> dict[str, object]:
    async with http.post(
        sim.url("dologin"),
        data={"username": "admin", "password": password},
        headers=web_headers(sim),
    ) as response:
        answer: dict[str, object] = await response.json(content_type=None)
        return answer


async def test_challenge_response_login(
    http: aiohttp.ClientSession, gxp2170: SimulatedPhone
) -> None:
    """GXP21xx default: access -> nonce, dologin with sha256(password + nonce) [CAP S8]."""
    answer, cookies = await web_login(http, gxp2170)
    assert answer["response"] == "success"
    body = answer["body"]
    sid = body["sid"]
    assert body["role"] == sha256_hex("admin" + sid)
    assert body["ver"] == "1.0.11.16"
    assert body["mac"] == gxp2170.phone.mac
    assert set(body) == {"sid", "role", "ver", "mac", "defaultAuth", "defaultLogin"}
    assert cookies == {"sid": sid}
    http.cookie_jar.clear()
    async with http.get(
        gxp2170.url("api-get_phone_status"), cookies={"sid": sid}
    ) as response:
        assert response.status == 200


async def test_plain_password_to_variant_c_is_a_failed_login(
    http: aiohttp.ClientSession, gxp2170: SimulatedPhone
) -> None:
    """A variant-b login (or a reused nonce) costs one attempt [CAP S8; I]."""
    assert (await _dologin(http, gxp2170, PASSWORD))["body"] == "wrong4"
    nonce = await _access(http, gxp2170)
    good = sha256_hex(PASSWORD + nonce)
    assert (await _dologin(http, gxp2170, good))["response"] == "success"
    assert (await _dologin(http, gxp2170, good))["body"] == "wrong4"  # nonce used


async def test_lockout_is_shared_by_logins_and_passcodes(cti2170: Cti) -> None:
    """Five failures lock, whether wrong logins or wrong passcodes [DOC S10; I]."""
    http, sim = cti2170.session, cti2170.sim
    bad = Cti(http, sim, password="nope")  # noqa: S106
    for _ in range(2):
        assert (await bad.json("api-get_phone_status"))["body"] == "unauthorized"
    for left in (2, 1):
        nonce = await _access(http, sim)
        answer = await _dologin(http, sim, sha256_hex("nope" + nonce))
        assert answer["body"] == f"wrong{left}"
    await _access(http, sim)
    assert await _dologin(http, sim, "x") == {
        "response": "error",
        "body": "locked",
        "lockTime": 5,
    }
    async with http.post(
        sim.url("access"),
        data={"access": sha256_hex("admin")},
        headers=web_headers(sim),
    ) as response:
        assert (await response.json(content_type=None))["body"] == "locked"


async def test_user_not_allowed(
    http: aiohttp.ClientSession, gxp2170: SimulatedPhone
) -> None:
    """User web access off (P8469 default 0): "user is not allow" [CAP S8; DOC S10]."""
    answer, _ = await web_login(http, gxp2170, "user", "123")
    assert answer == {"response": "error", "body": "user is not allow"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Referer": "http://evil.example/"}, {"Origin": "http://10.9.9.9"}],
)
async def test_form_posts_need_same_origin(
    http: aiohttp.ClientSession, gxp2170: SimulatedPhone, headers: dict[str, str]
) -> None:
    """No matching Origin/Referer: bare HTML 403, nothing counted [CAP S8; CODE S9]."""
    async with http.post(
        gxp2170.url("dologin"),
        data={"username": "admin", "password": "x"},
        headers=headers,
    ) as response:
        assert response.status == 403
        assert "<html>" in await response.text()
    assert gxp2170.phone.auth.failures == 0


async def test_post_without_body_is_411(gxp2170: SimulatedPhone) -> None:
    """POST without body and Content-Length: 411 [CAP S8] (raw, as clients add one)."""
    reader, writer = await asyncio.open_connection(gxp2170.host, gxp2170.port)
    writer.write(
        f"POST /cgi-bin/dologin HTTP/1.1\r\nHost: {gxp2170.host}:{gxp2170.port}\r\n"
        f"Referer: {gxp2170.base_url}/\r\nConnection: close\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    writer.close()
    assert status.split()[1] == b"411"


async def test_one_session_per_account(
    http: aiohttp.ClientSession, gxp2170: SimulatedPhone
) -> None:
    """single_session: a second login kills the first; its sid gets 401 HTML [CAP S8]."""
    gxp2170.phone.settings.single_session = True
    first, _ = await web_login(http, gxp2170)
    second, _ = await web_login(http, gxp2170)
    http.cookie_jar.clear()
    statuses = []
    for answer in (first, second):
        async with http.get(
            gxp2170.url("api-get_line_status"), params={"sid": answer["body"]["sid"]}
        ) as response:
            statuses.append(response.status)
            text = await response.text()
    assert statuses == [401, 200]
    assert json.loads(text)["response"] == "success"


async def test_variant_b_phone_has_no_access_page(
    http: aiohttp.ClientSession, sim: SimulatedPhone
) -> None:
    """GXP1165: plain form login, `access` answers 404 [CODE S19; INF]."""
    async with http.post(sim.url("access"), data={"access": "x"}) as response:
        assert response.status == 404
    answer = await _dologin(http, sim, PASSWORD)
    assert answer["response"] == "success"


async def test_login_variant_setting(http: aiohttp.ClientSession) -> None:
    """login_variant "b" on a GXP2170: old firmware's plain login."""
    async with SimulatedPhone.start(model="GXP2170", login_variant="b") as sim:
        assert (await _dologin(http, sim, PASSWORD))["response"] == "success"


async def test_passcode_not_accepted(cti2170: Cti) -> None:
    """Session-only firmware: api-* answer HTTP 401 HTML to a passcode [CAP S8; N1]."""
    cti2170.sim.phone.settings.passcode_accepted = False
    status, text, _ = await cti2170.request("api-get_line_status")
    assert status == 401 and text.startswith("<html>")
    assert cti2170.sim.phone.auth.failures == 0


async def test_config_get_and_update(
    http: aiohttp.ClientSession, gxp2170: SimulatedPhone
) -> None:
    """config_get / config_update of the newer web UI [CAP S8; CODE S9; N1]."""
    gxp2170.phone.settings.web_values_api = "config"
    answer, _ = await web_login(http, gxp2170)
    sid = answer["body"]["sid"]
    http.cookie_jar.clear()
    cookies = {"sid": sid}
    headers = web_headers(gxp2170)
    async with http.put(
        gxp2170.url("config_update"),
        json={"alias": {}, "pvalue": {"P1561": "1", "P8310": "http://x/in"}},
        cookies=cookies,
        headers=headers,
    ) as response:
        assert (await response.json(content_type=None))["response"] == "success"
    assert gxp2170.phone.settings.click_to_dial is True
    async with http.get(
        gxp2170.url("config_get"),
        params={"pvalues": "P1561,P8310,P99999"},
        cookies=cookies,
    ) as response:
        assert await response.json(content_type=None) == {
            "configs": [
                {"alias": "", "pvalue": "P1561", "value": "1"},
                {"alias": "", "pvalue": "P8310", "value": "http://x/in"},
                {"alias": "", "pvalue": "P99999", "value": ""},
            ]
        }
    async with http.post(
        gxp2170.url("config_update"), data="{}", cookies=cookies, headers=headers
    ) as response:
        assert response.status == 501  # [CODE S9]
    async with http.post(
        gxp2170.url("api.values.get"),
        data={"request": "P1561", "sid": sid},
        headers=headers,
    ) as response:
        assert response.status == 404  # api.values absent
    async with http.get(
        gxp2170.url("config_get"), params={"pvalues": "P1561", "sid": "gone"}
    ) as response:
        assert await response.json(content_type=None) == {
            "response": "error",
            "body": {"status": "session-expired"},
        }
