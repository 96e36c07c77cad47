"""A password the phone rejects is tried once: the account must never lock (5 failures).

The bench soak found this: with push, every event's confirming read was one more
failed login, and a busy phone locked itself within minutes.
"""

from homeassistant.config_entries import SOURCE_REAUTH, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.grandstream_gxp.const import DOMAIN
from gxp_simulator import SimulatedPhone

from .common import call
from .conftest import MAC

NEW_PASSWORD = "changed on the phone"  # noqa: S105


def reauth_flows(hass: HomeAssistant) -> list[ConfigFlowResult]:
    """Return the reauth flows in progress for this integration."""
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


async def push(hass_client: ClientSessionGenerator, entry: MockConfigEntry) -> None:
    """Let the phone report an incoming call to the webhook."""
    client = await hass_client()
    mac = MAC.replace(":", "")
    response = await client.get(
        f"/api/webhook/{entry.data['webhook_id']}?e=incoming&m={mac}&r=1001&n=Alice"
    )
    assert response.status == 200


async def test_events_and_actions_do_not_retry_a_rejected_password(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: SimulatedPhone,
    init_integration: MockConfigEntry,
    device_id: str,
) -> None:
    """One failed read; then events, actions and time send the phone nothing."""
    coordinator = init_integration.runtime_data.coordinator
    sim.phone.auth.password = NEW_PASSWORD
    await push(hass_client, init_integration)
    await hass.async_block_till_done()
    assert sim.phone.auth.failures == 1
    assert len(reauth_flows(hass)) == 1
    assert not coordinator.last_update_success

    sim.phone.requests.clear()
    for _ in range(10):
        await push(hass_client, init_integration)
    await hass.async_block_till_done()
    for _ in range(3):
        with pytest.raises(HomeAssistantError) as raised:
            await call(hass, "hold", device_id)
        assert raised.value.translation_key == "invalid_auth"

    assert sim.phone.requests.count() == 0
    assert sim.phone.auth.failures == 1
    assert len(reauth_flows(hass)) == 1
    line_1 = hass.states.get("sensor.grandstream_gxp2170_line_1")
    assert line_1 is not None
    assert line_1.state == "unavailable"

    # The user enters the new password: the entry reloads and works again.
    flow = reauth_flows(hass)[0]
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PASSWORD: NEW_PASSWORD}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert init_integration.runtime_data.coordinator.auth_error is None
    sim.phone.incoming_call("1002", "Bob")
    await call(hass, "answer", device_id)
    assert sim.phone.line(1).state.value == "connected"


async def test_an_explicit_refresh_still_asks_the_phone(
    hass: HomeAssistant, sim: SimulatedPhone, init_integration: MockConfigEntry
) -> None:
    """A read the user asks for is sent; when it succeeds, actions work again."""
    coordinator = init_integration.runtime_data.coordinator
    password = sim.phone.auth.password
    sim.phone.auth.password = NEW_PASSWORD
    await coordinator.async_refresh()
    assert coordinator.auth_error is not None

    sim.phone.auth.password = password  # changed back on the phone
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.auth_error is None
