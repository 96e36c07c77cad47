"""Fault matrix: each way the phone can misbehave, in each phase, driven like a user.

docs/fault-matrix.md is the table of these tests (fault x phase -> outcome); the last
test here checks that every test id the table names exists.

The client's 10 s timeout is shortened for the whole module, so a phone that never
answers costs a fraction of a second.
"""

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
import json
import logging
from pathlib import Path
import re
from typing import Any

import aiohttp
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    ATTR_DEVICE_ID,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_SSL,
    CONF_VERIFY_SSL,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.grandstream_gxp.const import (
    CONF_ADVANCED,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
)
from custom_components.grandstream_gxp.cti import client as cti_client
from custom_components.grandstream_gxp.sensor import ENABLED_LINES
from gxp_simulator import SimulatedPhone

from .common import device_id_of
from .conftest import MAC, PASSWORD

# The client gives up after this long instead of REQUEST_TIMEOUT (10 s).
SHORT_TIMEOUT = 0.3
# The version the phone's firmware upgrade installs.
NEW_FIRMWARE = "1.0.11.20"
# A slow phone that still answers in time.
SLOW = 0.1

LINE_1 = "sensor.grandstream_gxp2170_line_1"
PHONE_STATUS = "sensor.grandstream_gxp2170_phone_status"
LINE_STATUS = "api-get_line_status"
LOGIN = "dologin"

DOC = Path(__file__).parent.parent / "docs" / "fault-matrix.md"

type Fault = Callable[[SimulatedPhone], Awaitable[None]]


@pytest.fixture(autouse=True)
def short_timeout() -> Iterator[None]:
    """Make every CTI client give up after SHORT_TIMEOUT seconds."""
    real = cti_client.CtiClient.__init__

    def init(self: cti_client.CtiClient, *args: Any, **kwargs: Any) -> None:
        kwargs["timeout"] = SHORT_TIMEOUT
        real(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cti_client.CtiClient, "__init__", init)
        yield


@pytest.fixture(autouse=True)
def no_traceback(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which an exception's traceback reached the log as a problem.

    Home Assistant logs the details of an expected "not ready" at debug level; a
    traceback at warning level or above is an exception nobody handled.
    """
    yield
    escaped = [
        f"{record.name}: {record.getMessage()[:200]}"
        for record in caplog.get_records("call") + caplog.get_records("teardown")
        if record.levelno >= logging.WARNING
        and record.exc_info is not None
        and record.exc_info[0] is not None
    ]
    assert not escaped, escaped


# --- the faults ------------------------------------------------------------------


def _faults(**changes: Any) -> Fault:
    async def apply(sim: SimulatedPhone) -> None:
        sim.phone.set_faults(**changes)

    return apply


def _settings(**changes: Any) -> Fault:
    async def apply(sim: SimulatedPhone) -> None:
        sim.phone.settings.update(**changes)

    return apply


async def _refused(sim: SimulatedPhone) -> None:
    await sim.stop_listening()


async def _not_found(sim: SimulatedPhone) -> None:
    # The simulator's set_faults() only takes 401/403/500; its HTML error page knows
    # 404 too, so the status is set on the fault record directly: every CTI path
    # answers like a path the phone does not have.
    sim.phone.faults.http_status = 404


async def _accounts_not_found(sim: SimulatedPhone) -> None:
    # A model without the accounts endpoint (the GXP116x is not in the CTI guide).
    sim.phone.faults.http_status = 404
    sim.phone.faults.endpoints = frozenset({"api-get_accounts"})


async def _wrong_password(sim: SimulatedPhone) -> None:
    # The phone's admin password was changed on its web page.
    sim.phone.auth.password = "changed on the phone"  # noqa: S105


async def _locked(sim: SimulatedPhone) -> None:
    # Someone sent a wrong password five times: the phone locks for 5 minutes.
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            async with session.get(
                sim.url(LINE_STATUS), params={"passcode": "wrong"}
            ) as response:
                await response.read()
    assert sim.phone.auth.lock_minutes() is not None


async def _reboot(sim: SimulatedPhone) -> None:
    sim.phone.settings.update(reboot_time=0.3)
    sim.phone.reboot()
    await sim.phone.wait_for(lambda p: p.down, timeout=2)


def _upgrade(lines: int) -> Fault:
    # The phone rebooted into a firmware with another number of lines and is back:
    # the reboot itself (the phone down) is the `reboot` row.
    async def apply(sim: SimulatedPhone) -> None:
        sim.phone.settings.update(reboot_time=0.05)
        sim.phone.upgrade_firmware(lines=lines, firmware=NEW_FIRMWARE)
        await sim.phone.wait_for(lambda p: p.upgrades == 1 and not p.down, timeout=5)

    return apply


FAULTS: dict[str, Fault] = {
    "refused": _refused,
    "timeout": _faults(no_answer=True),
    "slow": _faults(latency=SLOW),
    "http_401": _faults(http_status=401),
    "http_403": _faults(http_status=403),
    "http_404": _not_found,
    "http_404_accounts": _accounts_not_found,
    "http_500": _faults(http_status=500),
    "login_page": _faults(login_page=True),
    "truncated_json": _faults(truncated_json=True),
    "wrong_types": _faults(wrong_types=True),
    "wrong_password": _wrong_password,
    "lockout": _locked,
    "cti_disabled": _settings(action_uri_support=False),
    "popup": _settings(popup=True),
    "popup_forbidden": _settings(popup=True, popup_variant="forbidden"),
    "reboot": _reboot,
    "more_lines": _upgrade(16),
    "fewer_lines": _upgrade(2),
}


async def heal(sim: SimulatedPhone) -> None:
    """Undo every fault FAULTS can set."""
    sim.phone.clear_faults()
    sim.phone.auth.password = PASSWORD
    if sim.phone.auth.lock_minutes() is not None:
        sim.phone.clock.advance(5 * 60 + 1)
        assert sim.phone.auth.lock_minutes() is None
    sim.phone.settings.update(action_uri_support=True, popup=False)
    if sim.phone.down:
        await sim.phone.wait_for(lambda p: not p.down, timeout=5)
    else:
        await sim.start_listening()


def cells(
    outcomes: dict[str, Any],
    skip: dict[str, str] | None = None,
    bugs: dict[str, str] | None = None,
) -> pytest.MarkDecorator:
    """Parametrize (fault, expected) with the fault name as test id.

    `skip`: cells the simulator cannot produce; `bugs`: cells that fail because of a
    known bug in the integration (strict xfail, so a fix makes them fail loudly).
    """
    params = [
        pytest.param(
            name,
            outcome,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=bugs[name])]
            if bugs and name in bugs
            else [],
        )
        for name, outcome in outcomes.items()
    ]
    for name, reason in (skip or {}).items():
        params.append(
            pytest.param(name, None, id=name, marks=pytest.mark.skip(reason=reason))
        )
    return pytest.mark.parametrize(("fault", "expected"), params)


# The firmware upgrades: how many lines the phone has afterwards (it had 12).
LINE_COUNT = {"more_lines": 16, "fewer_lines": 2}
LINES_BEFORE = 12


def line_sensor(number: int, device: str = "grandstream_gxp2170") -> str:
    """Return the entity id of a line's sensor (`device`: the device name's slug)."""
    return f"sensor.{device}_line_{number}"


def assert_lines(
    hass: HomeAssistant,
    count: int,
    before: int = LINES_BEFORE,
    device: str = "grandstream_gxp2170",
) -> None:
    """Check each line has its sensor; one the phone no longer has is unavailable.

    Sensors of lines beyond ENABLED_LINES are created disabled: registered, no state.
    """
    registry = er.async_get(hass)
    for number in range(1, max(count, before) + 1):
        assert registry.async_get(line_sensor(number, device)) is not None, number
        state = hass.states.get(line_sensor(number, device))
        if number > ENABLED_LINES:
            assert state is None, number
            continue
        assert state is not None, number
        assert state.state == ("idle" if number <= count else STATE_UNAVAILABLE), number
    assert registry.async_get(line_sensor(max(count, before) + 1, device)) is None


def assert_firmware(hass: HomeAssistant, version: str) -> None:
    """Check that the device page shows the firmware the phone runs."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert [device.sw_version for device in devices] == [version]


def reauth_flows(hass: HomeAssistant) -> list[Any]:
    """Return the reauth flows in progress for this integration."""
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


# --- phase: config flow (user step) -----------------------------------------------

# fault -> the error the form shows, or None for an entry created. Field: which
# form field the error sits on.
FLOW_OUTCOMES: dict[str, tuple[str, str] | None] = {
    "refused": (CONF_HOST, "cannot_connect"),
    "timeout": (CONF_HOST, "cannot_connect"),
    "slow": None,
    "http_401": ("base", "password_not_accepted"),
    "http_403": ("base", "cti_disabled"),
    "http_404": (CONF_HOST, "cannot_connect"),
    "http_500": (CONF_HOST, "cannot_connect"),
    "login_page": (CONF_HOST, "cannot_connect"),
    "truncated_json": (CONF_HOST, "cannot_connect"),
    "wrong_types": (CONF_HOST, "cannot_connect"),
    "wrong_password": (CONF_PASSWORD, "invalid_auth"),
    "lockout": (CONF_PASSWORD, "phone_locked"),
    "cti_disabled": ("base", "cti_disabled"),
    "popup": (CONF_PASSWORD, "invalid_auth"),
    "popup_forbidden": ("base", "cti_disabled"),
    "reboot": (CONF_HOST, "cannot_connect"),
    "http_404_accounts": None,
    "more_lines": None,
    "fewer_lines": None,
}


@cells(FLOW_OUTCOMES)
async def test_config_flow(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    fault: str,
    expected: tuple[str, str] | None,
) -> None:
    """One submit of the user step: a translated error on the right field, one try."""
    await FAULTS[fault](sim)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    sim.phone.requests.clear()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: f"{sim.host}:{sim.port}",
            CONF_PASSWORD: PASSWORD,
            CONF_ADVANCED: {CONF_SSL: False, CONF_VERIFY_SSL: False},
        },
    )

    if expected is None:
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["result"].unique_id == MAC
        await hass.async_block_till_done()
        if fault in LINE_COUNT:
            # A new entry knows nothing of the old firmware: a sensor per line now.
            # The flow names it after model and extension.
            assert_lines(hass, LINE_COUNT[fault], before=0, device="gxp2170_1001")
            assert_firmware(hass, NEW_FIRMWARE)
        return
    field, key = expected
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: key}
    assert key in _translated_errors()
    # Never retried: the password went to the phone at most once, and no web login
    # followed a refusal.
    assert sim.phone.requests.count(LINE_STATUS) <= 1
    if key == "invalid_auth":
        # The rejected password reached the phone exactly once for this submit.
        assert sim.phone.requests.count(LINE_STATUS) == 1
    assert sim.phone.requests.count(LOGIN) == 0
    # The user fixes the phone and submits again: the same form now creates the entry.
    await heal(sim)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: f"{sim.host}:{sim.port}",
            CONF_PASSWORD: PASSWORD,
            CONF_ADVANCED: {CONF_SSL: False, CONF_VERIFY_SSL: False},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)


def _translated_errors() -> set[str]:
    path = (
        Path(__file__).parent.parent
        / "custom_components"
        / DOMAIN
        / "translations"
        / "en.json"
    )
    return set(json.loads(path.read_text())["config"]["error"])


# --- phase: setup -----------------------------------------------------------------

RETRY = ConfigEntryState.SETUP_RETRY
ERROR = ConfigEntryState.SETUP_ERROR
LOADED = ConfigEntryState.LOADED

SETUP_OUTCOMES: dict[str, tuple[ConfigEntryState, str | None]] = {
    "refused": (RETRY, "cannot_connect"),
    "timeout": (RETRY, "cannot_connect"),
    "slow": (LOADED, None),
    "http_401": (RETRY, "password_not_accepted"),
    "http_403": (RETRY, "cti_disabled"),
    "http_404": (RETRY, "cannot_connect"),
    "http_500": (RETRY, "cannot_connect"),
    "login_page": (RETRY, "cannot_connect"),
    "truncated_json": (RETRY, "cannot_connect"),
    "wrong_types": (RETRY, "cannot_connect"),
    "wrong_password": (ERROR, "invalid_auth"),
    "lockout": (ERROR, "phone_locked"),
    "cti_disabled": (RETRY, "cti_disabled"),
    "popup": (ERROR, "invalid_auth"),
    "popup_forbidden": (RETRY, "cti_disabled"),
    "reboot": (RETRY, "cannot_connect"),
    "http_404_accounts": (LOADED, None),
    "more_lines": (LOADED, None),
    "fewer_lines": (LOADED, None),
}


# Cells that fail because of a known bug (strict xfail); none open.
SETUP_BUGS: dict[str, str] = {}


@cells(SETUP_OUTCOMES, bugs=SETUP_BUGS)
async def test_setup(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    mock_config_entry: MockConfigEntry,
    fault: str,
    expected: tuple[ConfigEntryState, str | None],
) -> None:
    """Setup: retry later, or stop and ask for the password (reauth), or load."""
    state, reason = expected
    mock_config_entry.add_to_hass(hass)
    if fault in LINE_COUNT:
        # The entry ran with the old firmware before (Home Assistant restarts after
        # the upgrade): its line sensors are in the entity registry.
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    await FAULTS[fault](sim)
    sim.phone.requests.clear()

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is state
    assert mock_config_entry.error_reason_translation_key == reason
    flows = reauth_flows(hass)
    assert len(flows) == (1 if state is ERROR else 0)
    if state is ERROR:
        # One rejected request, nothing more until the user answers the reauth form.
        assert sim.phone.requests.count(LINE_STATUS) == 1
        assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id
    if fault in LINE_COUNT:
        assert_lines(hass, LINE_COUNT[fault])
        assert_firmware(hass, NEW_FIRMWARE)
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()


# --- phase: polling ---------------------------------------------------------------

UNAVAILABLE = "unavailable"  # entities unavailable, back after the fault
REAUTH = "reauth"  # entities unavailable, reauth flow, polling stops
FINE = "fine"  # nothing visible
NEW_LINES = "new_lines"  # the entry reloads; the line sensors follow the new count

# Faults whose failed poll names its cause instead of the generic `update_failed`.
POLL_ERRORS: dict[str, str] = {"http_401": "password_not_accepted"}

POLL_OUTCOMES: dict[str, str] = {
    "refused": UNAVAILABLE,
    "timeout": UNAVAILABLE,
    "slow": FINE,
    "http_401": UNAVAILABLE,
    "http_403": UNAVAILABLE,
    "http_404": UNAVAILABLE,
    "http_500": UNAVAILABLE,
    "login_page": UNAVAILABLE,
    "truncated_json": UNAVAILABLE,
    "wrong_types": UNAVAILABLE,
    "wrong_password": REAUTH,
    "lockout": REAUTH,
    "cti_disabled": UNAVAILABLE,
    "popup": REAUTH,
    "popup_forbidden": UNAVAILABLE,
    "reboot": UNAVAILABLE,
    "http_404_accounts": FINE,
    "more_lines": NEW_LINES,
    "fewer_lines": NEW_LINES,
}


@cells(POLL_OUTCOMES)
async def test_polling(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
    fault: str,
    expected: str,
) -> None:
    """A poll under the fault, then the phone heals: states follow without a reload."""
    coordinator = init_integration.runtime_data.coordinator
    assert (state := hass.states.get(LINE_1)) and state.state == "idle"
    await FAULTS[fault](sim)

    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert init_integration.state is LOADED
    shown = hass.states.get(PHONE_STATUS)
    assert shown is not None
    if expected == NEW_LINES:
        # The new firmware reloads the entry: a new coordinator, entities for the lines.
        assert init_integration.runtime_data.coordinator is not coordinator
        coordinator = init_integration.runtime_data.coordinator
        assert coordinator.last_update_success
        assert_lines(hass, LINE_COUNT[fault])
        assert_firmware(hass, NEW_FIRMWARE)
        assert shown.state == "available"
        return
    if expected == FINE:
        assert coordinator.last_update_success
        assert shown.state == "available"
        return
    assert not coordinator.last_update_success
    error = coordinator.last_exception
    assert isinstance(error, HomeAssistantError)
    assert error.translation_domain == DOMAIN
    assert error.translation_key == (
        ("phone_locked" if fault == "lockout" else "invalid_auth")
        if expected == REAUTH
        else POLL_ERRORS.get(fault, "update_failed")
    )
    assert shown.state == STATE_UNAVAILABLE
    assert (state := hass.states.get(LINE_1)) and state.state == STATE_UNAVAILABLE
    assert len(reauth_flows(hass)) == (1 if expected == REAUTH else 0)
    # No retry storm: a failed poll does not make the next one come sooner.
    assert coordinator.update_interval == timedelta(seconds=DEFAULT_SCAN_INTERVAL)
    if expected == REAUTH:
        # Polling stops after an auth failure: time passes, the phone hears nothing.
        sim.phone.requests.clear()
        for minutes in (1, 5, 30):
            async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=minutes))
            await hass.async_block_till_done()
        assert sim.phone.requests.count() == 0

    await heal(sim)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert coordinator.last_update_success
    assert (state := hass.states.get(PHONE_STATUS)) and state.state == "available"
    assert (state := hass.states.get(LINE_1)) and state.state == "idle"


# --- phase: an action (hold with a call up) ----------------------------------------

# fault -> translation key of the HomeAssistantError, or None for success.
ACTION_OUTCOMES: dict[str, str | None] = {
    "refused": "cannot_connect",
    "timeout": "cannot_connect",
    "slow": None,
    "http_401": "password_not_accepted",
    "http_403": "cti_disabled",
    "http_404": "cannot_connect",
    "http_500": "cannot_connect",
    "login_page": "cannot_connect",
    "truncated_json": "cannot_connect",
    "wrong_types": "cannot_connect",
    "wrong_password": "invalid_auth",
    "lockout": "phone_locked",
    "cti_disabled": "cti_disabled",
    "popup": "invalid_auth",
    "popup_forbidden": "cti_disabled",
    "reboot": "cannot_connect",
    "http_404_accounts": None,
    "more_lines": None,
    "fewer_lines": None,
}
AUTH_KEYS = ("invalid_auth", "phone_locked")
ACTION_BUGS: dict[str, str] = {}


@cells(ACTION_OUTCOMES, bugs=ACTION_BUGS)
async def test_action(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
    fault: str,
    expected: str | None,
) -> None:
    """`hold` on a connected call: a translated error, reauth for auth, no storm."""
    device_id = device_id_of(hass, init_integration)
    sim.phone.incoming_call("1001", "Alice")
    await hass.services.async_call(
        DOMAIN, "answer", {ATTR_DEVICE_ID: device_id}, blocking=True
    )
    await sim.phone.wait_for_lines("connected")
    await FAULTS[fault](sim)
    if fault in LINE_COUNT:
        # The upgrade's reboot dropped the call; the next one runs on the new firmware.
        sim.phone.incoming_call("1002", "Bob")
        await hass.services.async_call(
            DOMAIN, "answer", {ATTR_DEVICE_ID: device_id}, blocking=True
        )
        await sim.phone.wait_for_lines("connected")
    sim.phone.requests.clear()

    if expected is None:
        await hass.services.async_call(
            DOMAIN, "hold", {ATTR_DEVICE_ID: device_id}, blocking=True
        )
        assert sim.phone.line_states()[0] == "onhold"
        assert (state := hass.states.get(LINE_1)) and state.state == "onhold"
        return
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "hold", {ATTR_DEVICE_ID: device_id}, blocking=True
        )
    await hass.async_block_till_done()
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == expected
    assert len(reauth_flows(hass)) == (1 if expected in AUTH_KEYS else 0)
    if expected in AUTH_KEYS:
        # A rejected password is sent once for the action (and not again by a
        # follow-up poll).
        assert sim.phone.requests.count() == 1
        return
    # The phone comes back (after a reboot: idle, the call is gone): the entities
    # follow with the next poll, no reload.
    await heal(sim)
    coordinator = init_integration.runtime_data.coordinator
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert coordinator.last_update_success
    line = hass.states.get(LINE_1)
    assert line is not None
    assert line.state == ("idle" if fault == "reboot" else "connected")


async def test_action_reboot_mid_transfer(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: MockConfigEntry
) -> None:
    """The phone reboots between the steps of a transfer: one clear error, then idle."""
    device_id = device_id_of(hass, init_integration)
    sim.phone.settings.update(reboot_time=0.3)
    sim.phone.incoming_call("1001", "Alice")
    await hass.services.async_call(
        DOMAIN, "answer", {ATTR_DEVICE_ID: device_id}, blocking=True
    )
    await sim.phone.wait_for_lines("connected")
    sim.phone.requests.clear()
    # XFER is answered slowly; the phone goes down while the transfer waits for it.
    sim.phone.set_faults(latency=0.2, endpoints=frozenset({"api-send_key"}), times=1)
    transfer = hass.async_create_task(
        hass.services.async_call(
            DOMAIN,
            "transfer",
            {ATTR_DEVICE_ID: device_id, "number": "1002"},
            blocking=True,
        )
    )
    await sim.phone.wait_for(lambda p: p.requests.count("api-send_key") == 1, timeout=2)
    sim.phone.reboot()

    with pytest.raises(HomeAssistantError) as raised:
        await transfer
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "cannot_connect"
    assert sim.phone.requests.keys_sent() == ["XFER"]
    assert reauth_flows(hass) == []

    await heal(sim)
    coordinator = init_integration.runtime_data.coordinator
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert coordinator.last_update_success
    assert (state := hass.states.get(LINE_1)) and state.state == "idle"
    assert sim.phone.reboots == 1


@pytest.mark.parametrize(
    ("fault", "line", "reason"),
    [("more_lines", 16, "no_connected_call"), ("fewer_lines", 6, "no_such_line")],
)
async def test_action_on_a_line_after_an_upgrade(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
    *,
    fault: str,
    line: int,
    reason: str,
) -> None:
    """An action naming a line goes by the lines the phone has now, not at setup."""
    device_id = device_id_of(hass, init_integration)
    await FAULTS[fault](sim)

    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN, "hold", {ATTR_DEVICE_ID: device_id, "line": line}, blocking=True
        )
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == reason
    assert sim.phone.requests.count("api-phone_operation") == 0
    # The refresh after the error found the new firmware: let its reload finish.
    await hass.async_block_till_done()


# --- phase: push (the phone's Action URL to the webhook) ---------------------------

PUSH_OUTCOMES: dict[str, str] = {
    "refused": UNAVAILABLE,
    "timeout": UNAVAILABLE,
    "slow": FINE,
    "http_500": UNAVAILABLE,
    "wrong_password": REAUTH,
    "reboot": UNAVAILABLE,
    "http_404_accounts": FINE,
    "more_lines": NEW_LINES,
    "fewer_lines": NEW_LINES,
}


@cells(PUSH_OUTCOMES)
async def test_push(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
    *,
    fault: str,
    expected: str,
) -> None:
    """An event arrives while the phone cannot be read: the webhook still answers 200.

    The event shows at once; its confirming poll meets the fault.
    """
    coordinator = init_integration.runtime_data.coordinator
    await FAULTS[fault](sim)
    client = await hass_client()
    mac = MAC.replace(":", "")
    webhook_id = init_integration.data["webhook_id"]

    response = await client.get(
        f"/api/webhook/{webhook_id}?e=incoming&m={mac}&r=1001&n=Alice"
    )
    assert response.status == 200
    await hass.async_block_till_done()

    assert coordinator.last_update_success is (expected in (FINE, NEW_LINES))
    assert len(reauth_flows(hass)) == (1 if expected == REAUTH else 0)
    if expected == NEW_LINES:
        # The event was placed on the lines known before the upgrade; the confirming
        # read shows the phone as it is (no call came in: the lines are idle).
        assert_lines(hass, LINE_COUNT[fault])
    await heal(sim)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert coordinator.last_update_success


# --- the document -----------------------------------------------------------------

FAULT_NAMES = {
    "refused": "phone down (connection refused)",
    "timeout": "no answer (client timeout)",
    "slow": "slow answer within the timeout",
    "http_401": "HTTP 401 (HTML page)",
    "http_403": "HTTP 403 (HTML page)",
    "http_404": "HTTP 404 (unknown path)",
    "http_404_accounts": "HTTP 404 on `api-get_accounts` only (model lacks it)",
    "http_500": "HTTP 500",
    "login_page": "HTML login page with 200",
    "truncated_json": "truncated JSON",
    "wrong_types": "wrong body types",
    "wrong_password": "wrong password",
    "lockout": "account locked (5 wrong passwords)",
    "cti_disabled": "CTI disabled (`action_uri_support` off, 403 `forbidden`)",
    "popup": "confirmation pop-up (answers `unauthorized`)",
    "popup_forbidden": "confirmation pop-up (answers `forbidden`)",
    "reboot": "phone rebooting (during a call / an action)",
    "more_lines": "firmware upgrade: more lines (12 → 16)",
    "fewer_lines": "firmware upgrade: fewer lines (12 → 2)",
}
_POLL_TEXT = {
    FINE: "no change",
    UNAVAILABLE: "unavailable, recovers",
    REAUTH: "unavailable + reauth, polling stops",
}
_PUSH_TEXT = {
    FINE: "200, poll fine",
    UNAVAILABLE: "200, confirming poll fails, recovers",
    REAUTH: "200, reauth",
}


def _lines_text(fault: str) -> str:
    """Say what the line sensors do after a firmware upgrade changed the count."""
    count = LINE_COUNT[fault]
    if count > LINES_BEFORE:
        return f"line {LINES_BEFORE + 1}-{count} sensors added"
    return f"line {count + 1}-{LINES_BEFORE} sensors unavailable"


def _flow_cell(fault: str) -> str:
    if fault not in FLOW_OUTCOMES:
        return "—"
    test = f"`test_config_flow[{fault}]`"
    outcome = FLOW_OUTCOMES[fault]
    if outcome is None:
        if fault in LINE_COUNT:
            return f"entry created, {LINE_COUNT[fault]} line sensors {test}"
        return f"entry created {test}"
    return f"`{outcome[1]}` on `{outcome[0]}` {test}"


def _setup_cell(fault: str) -> str:
    test = f"`test_setup[{fault}]`"
    state, key = SETUP_OUTCOMES[fault]
    if key is None:
        if fault in LINE_COUNT:
            return f"loaded, {_lines_text(fault)}, new firmware shown {test}"
        return f"loaded {test}"
    reauth = " + reauth" if state is ERROR else ""
    bug = " **xfail (bug)**" if fault in SETUP_BUGS else ""
    return f"{state.name} `{key}`{reauth}{bug} {test}"


def _poll_cell(fault: str) -> str:
    test = f"`test_polling[{fault}]`"
    if POLL_OUTCOMES[fault] == NEW_LINES:
        return f"{_lines_text(fault)}, new firmware shown, entry reloaded {test}"
    return f"{_POLL_TEXT[POLL_OUTCOMES[fault]]} {test}"


def _action_cell(fault: str) -> str:
    test = f"`test_action[{fault}]`"
    key = ACTION_OUTCOMES[fault]
    if key is None:
        if fault in LINE_COUNT:
            return f"next call held {test}"
        return f"call held {test}"
    reauth = " + reauth" if key in AUTH_KEYS else ""
    bug = " **xfail (bug)**" if fault in ACTION_BUGS else ""
    return f"`{key}`{reauth}{bug} {test}"


def _push_cell(fault: str) -> str:
    if fault not in PUSH_OUTCOMES:
        return "—"
    test = f"`test_push[{fault}]`"
    if PUSH_OUTCOMES[fault] == NEW_LINES:
        return f"200, confirming poll: {_lines_text(fault)} {test}"
    return f"{_PUSH_TEXT[PUSH_OUTCOMES[fault]]} {test}"


def render_table() -> str:
    """Return the matrix as the Markdown table docs/fault-matrix.md must contain."""
    rows = [
        (
            "| fault | config flow (user step) | setup | polling "
            "| action (`hold`, call up) | push (webhook GET) |"
        ),
        "| --- | --- | --- | --- | --- | --- |",
    ]
    rows.extend(
        f"| {name} | {_flow_cell(fault)} | {_setup_cell(fault)} "
        f"| {_poll_cell(fault)} | {_action_cell(fault)} | {_push_cell(fault)} |"
        for fault, name in FAULT_NAMES.items()
    )
    return "\n".join(rows) + "\n"


def test_fault_matrix_doc_is_true() -> None:
    """docs/fault-matrix.md shows exactly the expectations these tests assert.

    To update it, run `python -c "from tests.test_faults import render_table;
    print(render_table(), end='')"` and paste the output over the table.
    """
    text = DOC.read_text()
    assert render_table() in text
    named = set(re.findall(r"`(test_\w+\[[\w-]+\])`", text))
    existing = {
        f"{test}[{fault}]"
        for test, table in (
            ("test_config_flow", FLOW_OUTCOMES),
            ("test_setup", SETUP_OUTCOMES),
            ("test_polling", POLL_OUTCOMES),
            ("test_action", ACTION_OUTCOMES),
            ("test_push", PUSH_OUTCOMES),
        )
        for fault in table
    }
    assert named == existing
    # Tests the doc names outside the table (without a fault id) exist too.
    single = set(re.findall(r"`(test_\w+)`", text))
    assert single
    assert {name for name in single if name not in globals()} == set()
    assert set(FAULT_NAMES) == set(FAULTS)


def test_scenarios_name_existing_tests() -> None:
    """Every test the Scenarios section of docs/fault-matrix.md names exists."""
    text = DOC.read_text().partition("## Scenarios")[2]
    named = re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", text)
    assert len(named) >= 10
    root = Path(__file__).parent.parent
    for path, name in named:
        source = (root / path).read_text()
        assert re.search(rf"^(async )?def {name}\(", source, re.MULTILINE), (path, name)
