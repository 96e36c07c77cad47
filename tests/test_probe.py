"""The `probe` action: asks an idle phone which key names it takes, stores and uses them."""

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.grandstream_gxp import key_table
from custom_components.grandstream_gxp.const import (
    CONF_KEY_OVERRIDES,
    CONF_PROBED_KEYS,
    DOMAIN,
)
from custom_components.grandstream_gxp.coordinator import GxpConfigEntry
from gxp_simulator import SimulatedPhone

from .common import call, keys_sent
from .conftest import MAC

FIRMWARE = "1.0.11.16"  # the simulated GXP2170's
DEFAULTS = {
    "HOLD": "HOLD",
    "XFER": "XFER",
    "HEADSET": "HEADSET",
    "SPEAKER": "SPEAKER",
    "CONF": "CONF",
    **{f"LINE{n}": f"LINE{n}" for n in range(1, 13)},
}


@pytest.fixture(autouse=True)
def fast_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Probe without settling time: the simulator acts on a key before it answers."""
    monkeypatch.setattr(key_table, "PROBE_SETTLE", 0)
    monkeypatch.setattr(key_table, "PROBE_POLL_INTERVAL", 0.01)


def line_states(sim: SimulatedPhone) -> list[str]:
    """Return the phone's own line states."""
    return [line.state.value for line in sim.phone.state.lines]


async def test_probe_needs_confirm(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """Without confirm: refused with the explanation, nothing sent."""
    with pytest.raises(ServiceValidationError) as info:
        await call(hass, "probe", device_id, confirm=False)
    assert info.value.translation_key == "probe_not_confirmed"
    assert keys_sent(sim) == []
    # The confirm field is required, not defaulted.
    with pytest.raises(Exception, match="confirm"):
        await call(hass, "probe", device_id)


async def test_probe_only_while_idle(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: GxpConfigEntry,
) -> None:
    """A ringing phone: probe_not_idle naming the line, nothing pressed, nothing stored."""
    sim.phone.incoming_call("1001", "Alice")
    with pytest.raises(ServiceValidationError) as info:
        await call(hass, "probe", device_id, confirm=True)
    assert info.value.translation_key == "probe_not_idle"
    assert info.value.translation_placeholders == {"found": "line 1 ringing"}
    assert keys_sent(sim) == []
    assert CONF_PROBED_KEYS not in init_integration.data
    assert line_states(sim)[0] == "ringing"


async def test_probe_refused_while_an_action_runs(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: GxpConfigEntry,
) -> None:
    """Another procedure holds the phone: the probe waits for nobody and says so."""
    async with init_integration.runtime_data.controller._lock:
        with pytest.raises(ServiceValidationError) as info:
            await call(hass, "probe", device_id, confirm=True)
    assert info.value.translation_key == "probe_action_running"
    assert keys_sent(sim) == []


async def test_probe_default_phone(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: GxpConfigEntry,
) -> None:
    """The usual names: all found, stored with the firmware, the phone idle again."""
    runtime = init_integration.runtime_data

    response = await call(hass, "probe", device_id, confirm=True)

    assert response is not None
    assert response["keys"] == DEFAULTS
    assert response["firmware"] == FIRMWARE
    assert response["model"] == "GXP2170"
    assert response["complete"] is True
    assert response["answers"]["XFER"] == {"XFER": "complete"}
    assert init_integration.data[CONF_PROBED_KEYS] == response
    assert set(line_states(sim)) == {"idle"}
    assert "SEND" not in keys_sent(sim)
    # Applied in place: the same runtime data, no reload.
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is runtime
    assert runtime.client.key_table.probed == DEFAULTS
    # Without asking for a response, it still runs and stores.
    assert (
        await hass.services.async_call(
            DOMAIN,
            "probe",
            {ATTR_DEVICE_ID: device_id, "confirm": True},
            blocking=True,
        )
        is None
    )


@pytest.mark.parametrize(
    "phone_settings",
    [{"key_spellings": {"XFER": "TRANSFER"}, "missing_keys": ["HOLD"]}],
)
async def test_findings_are_used_by_the_next_transfer(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: GxpConfigEntry,
) -> None:
    """TRANSFER found, HOLD missing: the transfer uses TRANSFER, HOLD is refused."""
    response = await call(hass, "probe", device_id, confirm=True)

    assert response is not None
    assert response["keys"]["XFER"] == "TRANSFER"
    assert "#" not in response["keys"]  # never probed: it may redial
    assert response["keys"]["HOLD"] is None
    stored = init_integration.data[CONF_PROBED_KEYS]
    assert stored["firmware"] == FIRMWARE
    assert stored["keys"]["XFER"] == "TRANSFER"

    sim.phone.incoming_call("1001", "Alice")
    await call(hass, "answer", device_id)
    sim.phone.requests.clear()
    transfer = await call(hass, "transfer", device_id, number="1002")

    assert transfer is not None
    assert [line["state"] for line in transfer["lines"]][:2] == ["onhold", "calling"]
    assert keys_sent(sim) == ["TRANSFER", "1:0:0:2:#"]

    # A key the phone was found to lack: the clear error, and no request.
    sim.phone.requests.clear()
    with pytest.raises(ServiceValidationError) as info:
        await call(hass, "send_key", device_id, keys="HOLD")
    assert info.value.translation_key == "key_refused"
    assert info.value.translation_placeholders == {"key": "HOLD"}
    assert keys_sent(sim) == []


async def test_a_call_arriving_mid_probe(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: GxpConfigEntry,
) -> None:
    """A call rings while LINE2 is off hook: the probe stops, keeps its findings, names the rest."""
    press = sim.phone.press_keys

    def ring_on_line2(tokens: list[str]) -> None:
        press(tokens)
        if tokens == ["LINE2"]:
            sim.phone.incoming_call("1001", "Alice")

    sim.phone.press_keys = ring_on_line2  # type: ignore[method-assign]

    with pytest.raises(HomeAssistantError) as info:
        await call(hass, "probe", device_id, confirm=True)

    assert info.value.translation_key == "probe_interrupted"
    assert info.value.translation_placeholders == {
        "keys": ", ".join(f"LINE{n}" for n in range(3, 13)),
        "found": "line 1 ringing",
    }
    # The call still rings; the line the probe opened was ended without touching it.
    assert line_states(sim) == ["ringing", *["idle"] * 11]
    assert keys_sent(sim)[-1] == "LINE2"
    stored = init_integration.data[CONF_PROBED_KEYS]
    assert stored["complete"] is False
    assert stored["keys"]["LINE2"] == "LINE2"
    assert "LINE3" not in stored["keys"]

    # Once idle again, a second run completes the findings.
    sim.phone.press_keys = press  # type: ignore[method-assign]
    await call(hass, "hang_up", device_id)
    response = await call(hass, "probe", device_id, confirm=True)
    assert response is not None
    assert response["keys"] == DEFAULTS


async def test_an_interrupted_run_adds_to_earlier_findings(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: GxpConfigEntry,
) -> None:
    """Findings of an earlier run on the same firmware stay when a later one stops early."""
    hass.config_entries.async_update_entry(
        init_integration,
        data={
            **init_integration.data,
            CONF_PROBED_KEYS: {
                "firmware": FIRMWARE,
                "keys": {"#": "POUND"},
                "answers": {"#": {"%23": "unknown", "POUND": "complete"}},
            },
        },
    )
    press = sim.phone.press_keys

    def ring_after_hold(tokens: list[str]) -> None:
        press(tokens)
        if tokens == ["HOLD"]:
            sim.phone.incoming_call("1001", "Alice")

    sim.phone.press_keys = ring_after_hold  # type: ignore[method-assign]
    with pytest.raises(HomeAssistantError):
        await call(hass, "probe", device_id, confirm=True)

    stored = init_integration.data[CONF_PROBED_KEYS]
    assert stored["keys"] == {"#": "POUND", "HOLD": "HOLD"}
    assert set(stored["answers"]) == {"#", "HOLD"}
    assert init_integration.runtime_data.client.key_table.wire("#") == "POUND"


async def test_probe_that_cannot_restore_idle(
    hass: HomeAssistant, sim: SimulatedPhone, device_id: str
) -> None:
    """A phone that refuses ONHOOK: probe_not_restored, no candidate pressed."""
    sim.phone.settings.update(missing_keys=["ONHOOK"])
    with pytest.raises(HomeAssistantError) as info:
        await call(hass, "probe", device_id, confirm=True)
    assert info.value.translation_key == "probe_not_restored"
    assert info.value.translation_placeholders == {
        "key": "ONHOOK",
        "found": "all lines idle",
    }
    assert keys_sent(sim) == ["ONHOOK"]


@pytest.fixture
def mock_config_entry(
    request: pytest.FixtureRequest, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Let a test give the entry stored findings and options (indirect parametrize)."""
    changes: dict[str, Any] = getattr(request, "param", {})
    return MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=MAC,
        data={**mock_config_entry.data, **changes.get("data", {})},
        options=changes.get("options", {}),
    )


@pytest.mark.parametrize(
    ("mock_config_entry", "expected"),
    [
        pytest.param(
            {
                "data": {
                    CONF_PROBED_KEYS: {
                        "firmware": FIRMWARE,
                        "keys": {"XFER": "TRANSFER", "#": "POUND"},
                    }
                },
                "options": {CONF_KEY_OVERRIDES: {"#": "HASH"}},
            },
            {"XFER": "TRANSFER", "#": "HASH", "HOLD": "HOLD"},
            id="override-beats-finding",
        ),
        pytest.param(
            {
                "data": {
                    CONF_PROBED_KEYS: {
                        "firmware": "1.0.9.1",
                        "keys": {"XFER": "TRANSFER"},
                    }
                }
            },
            {"XFER": "XFER", "#": "%23", "HOLD": "HOLD"},
            id="other-firmware-not-used",
        ),
        pytest.param(
            {
                "data": {
                    CONF_PROBED_KEYS: {"firmware": FIRMWARE, "keys": {"FLASH": "X"}}
                }
            },
            {"XFER": "XFER", "#": "%23", "HOLD": "HOLD"},
            id="invalid-findings-dropped",
        ),
    ],
    indirect=["mock_config_entry"],
)
async def test_key_table_at_setup(
    init_integration: GxpConfigEntry, expected: dict[str, str]
) -> None:
    """Setup builds the table: override > finding (same firmware only) > default."""
    table = init_integration.runtime_data.client.key_table
    assert {key: table.wire(key) for key in expected} == expected


@pytest.mark.parametrize(
    "mock_config_entry",
    [
        {
            "data": {
                CONF_PROBED_KEYS: {
                    "model": "GXP2170",
                    "firmware": FIRMWARE,
                    "probed_at": "2026-11-26T12:00:00+00:00",
                    "complete": True,
                    "keys": {"XFER": "TRANSFER", "HOLD": None},
                    "answers": {
                        "XFER": {"XFER": "unknown", "TRANSFER": "complete"},
                        "HOLD": {"HOLD": "unknown"},
                    },
                }
            }
        }
    ],
    indirect=True,
)
async def test_diagnostics_show_the_findings(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: GxpConfigEntry,
) -> None:
    """The findings are in the diagnostics once, with what is in use."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    keys: Any = diagnostics["keys"]
    assert keys["probe"]["keys"] == {"XFER": "TRANSFER", "HOLD": None}
    assert keys["probe"]["answers"]["XFER"]["TRANSFER"] == "complete"
    assert keys["probe_in_use"] == {"XFER": "TRANSFER", "HOLD": None}
    entry: Any = diagnostics["entry"]
    assert CONF_PROBED_KEYS not in entry["data"]


@pytest.mark.parametrize("phone_settings", [{"missing_keys": ["#"]}])
async def test_transfer_stops_before_xfer_when_pound_is_refused(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: GxpConfigEntry,
) -> None:
    """`#` found refused (stored by an earlier probe): refused before XFER holds the call."""
    hass.config_entries.async_update_entry(
        init_integration,
        data={
            **init_integration.data,
            CONF_PROBED_KEYS: {
                "firmware": FIRMWARE,
                "keys": {"#": None},
                "answers": {"#": {"%23": "unknown"}},
            },
        },
    )
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    sim.phone.incoming_call("1001", "Alice")
    await call(hass, "answer", device_id)
    sim.phone.requests.clear()
    with pytest.raises(ServiceValidationError) as info:
        await call(hass, "transfer", device_id, number="1002")

    assert info.value.translation_key == "key_refused"
    assert info.value.translation_placeholders == {"key": "#"}
    assert keys_sent(sim) == []
    assert line_states(sim)[0] == "connected"


async def test_probe_holds_the_phone_while_it_runs(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: GxpConfigEntry,
) -> None:
    """Actions wait for the probe as they wait for each other."""
    controller = init_integration.runtime_data.controller
    probe = hass.async_create_task(call(hass, "probe", device_id, confirm=True))
    await sim.phone.wait_for(lambda p: p.requests.count("api-send_key") >= 1)

    assert controller.busy
    await probe
    assert not controller.busy


@pytest.mark.parametrize("phone_settings", [{"key_spellings": {"XFER": "TRANSFER"}}])
async def test_findings_stop_with_a_new_firmware(
    hass: HomeAssistant,
    sim: SimulatedPhone,
    device_id: str,
    init_integration: GxpConfigEntry,
) -> None:
    """Findings belong to the firmware they were made on: an upgrade drops them."""
    await call(hass, "probe", device_id, confirm=True)
    client = init_integration.runtime_data.client
    assert client.key_table.wire("XFER") == "TRANSFER"

    sim.phone.settings.update(reboot_time=0.05)
    sim.phone.upgrade_firmware(firmware="1.0.11.99")
    await sim.phone.wait_for(lambda p: p.upgrades == 1 and not p.down, timeout=5)
    await init_integration.runtime_data.coordinator.async_refresh()
    # The new firmware reloads the entry, which builds the key table anew.
    await hass.async_block_till_done()
    client = init_integration.runtime_data.client

    assert init_integration.runtime_data.firmware == "1.0.11.99"
    assert client.key_table.probed == {}
    assert client.key_table.wire("XFER") == "XFER"
