"""Profiles, settings validation, the harness life cycle and wait_for."""

from unittest.mock import MagicMock

import aiohttp
from aiohttp.test_utils import make_mocked_request
import pytest

from gxp_simulator import (
    PROFILES,
    AccountConfig,
    PhoneSettings,
    SimPhone,
    SimulatedPhone,
    get_profile,
)
from gxp_simulator.control import create_control_app
from gxp_simulator.profiles import GXP1165, AcctStyle
from gxp_simulator.state import CallState

from .conftest import CONFIGURED, Cti


def test_profiles_facts_and_evidence() -> None:
    """The profiles, their Action URL support and evidence tags."""
    assert set(PROFILES) == {"GXP1165", "GXP1165-KEYS", "GXP2170", "GRP2614", "GENERIC"}
    assert get_profile("gxp1165") is GXP1165
    assert not GXP1165.action_url
    assert PROFILES["GXP2170"].action_url
    assert "[CODE S20]" in GXP1165.evidence["server_header"]
    assert all(profile.evidence for profile in PROFILES.values())
    custom = GXP1165.with_changes(lines=3, idle_acct=AcctStyle.ZERO)
    assert (custom.lines, custom.key) == (3, "GXP1165")
    with pytest.raises(ValueError, match="unknown model"):
        get_profile("GXP9999")


async def test_custom_profile_phone(http: aiohttp.ClientSession) -> None:
    """A modified profile is served as given."""
    profile = GXP1165.with_changes(lines=3, idle_acct=AcctStyle.ZERO, conf_field=True)
    async with SimulatedPhone.start(profile, **CONFIGURED) as sim:
        body = (await Cti(http, sim).json("api-get_line_status"))["body"]
    assert len(body) == 3
    assert body[2]["acct"] == 0 and body[2]["conf"] == 0


def test_settings_validation() -> None:
    """Names and types are checked; JSON-ish values are converted."""
    settings = PhoneSettings.for_profile(
        GXP1165, key_delay=1, no_key_entry_timeout=None
    )
    assert settings.key_delay == 1.0 and settings.no_key_entry_timeout is None
    assert not settings.line_keys_select_calls
    settings.update(
        user_password=None,
        lockout_attempts=3,
        allowed_ips="any",
        forbidden_variant="html",
        popup_variant="block",
        accounts=[AccountConfig(sip_id="7"), {"sip_id": "8", "registered": True}],
        mpk_numbers={"2": "100"},
    )
    assert [a.sip_id for a in settings.accounts] == ["7", "8"]
    assert settings.to_json()["mpk_numbers"] == {"2": "100"}
    bad: list[tuple[str, object]] = [
        ("click_to_dial", 1),
        ("key_delay", -1),
        ("key_delay", True),
        ("lockout_attempts", 0),
        ("lockout_attempts", 1.5),
        ("phone_ip", 1),
        ("user_password", 5),
        ("action_urls", ["x"]),
        ("accounts", "x"),
        ("accounts", [1]),
    ]
    for name, value in bad:
        with pytest.raises(TypeError):
            settings.update(**{name: value})
    with pytest.raises(ValueError, match="popup_variant"):
        settings.update(popup_variant="maybe")
    with pytest.raises(ValueError, match="unknown Action URL event"):
        settings.update(action_urls={"boom": "h"})
    with pytest.raises(AttributeError):
        settings.update(colour="red")


async def test_harness_lifecycle(http: aiohttp.ClientSession) -> None:
    """Listening twice is harmless; a taken port fails to start; URLs are right."""
    async with SimulatedPhone.start(no_key_entry_timeout=5, **CONFIGURED) as sim:
        assert sim.base_url == f"http://127.0.0.1:{sim.port}"
        assert sim.url("api-get_accounts").endswith("/cgi-bin/api-get_accounts")
        assert sim.control_port is None
        await sim.start_listening()
        await sim.phone.accept_connections()  # not refusing: nothing happens
        assert sim.listening
        with pytest.raises(OSError):
            async with SimulatedPhone.start(port=sim.port, **CONFIGURED):
                pass
        await Cti(http, sim).keys("1")  # leaves a pending dial timer for close()
    assert not sim.listening


async def test_wait_for_times_out_with_description() -> None:
    """wait_for raises TimeoutError describing the phone."""
    phone = SimPhone()
    try:
        with pytest.raises(TimeoutError, match=r"GXP1165 lines=\['idle', 'idle'\]"):
            await phone.wait_for(lambda p: p.state.busy, timeout=0.01)
        await phone.wait_for_lines("idle")
    finally:
        await phone.close()


async def test_control_refuses_non_loopback_clients() -> None:
    """A request from another host gets 403."""
    app = create_control_app(SimPhone())
    transport = MagicMock()
    transport.get_extra_info.return_value = ("192.0.2.7", 40000)
    request = make_mocked_request("GET", "/_sim/state", app=app, transport=transport)
    match = await app.router.resolve(request)
    response = await match.handler(request)
    assert response.status == 403


def test_default_refer_always_succeeds() -> None:
    """Without a far-end script every REFER works; no pending transfer by default."""
    state = CallState(2)
    assert not state.pending_is_current()
    line = state.incoming("1002")
    assert line is not None
    state.answer(line)
    state.open_transfer()
    state.transfer_digit("3")
    assert state.blind_transfer()
    assert state.transfers[0].ok
