"""A real Home Assistant, driven like a user over its HTTP and WebSocket APIs.

One `hass` process for the module (minimal configuration, no frontend), two simulated
phones: a GXP1165 (polling only) and a GXP2170 whose Action URLs point at its entry's
webhook. The tests run in order and build on each other: onboarding, the config flow,
states, an action, a pushed event, reload, removal.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from gxp_simulator import SimulatedPhone
from scripts.dev_hass import DOMAIN, HomeAssistantProcess

from .conftest import LoopThread

pytestmark = pytest.mark.e2e

PASSWORD = "e2e-phone"  # noqa: S105 - the simulated phones' password
WAIT = 15.0  # longest wait for one state (an action polls every second)
# So long that only an Action URL can explain a state change within WAIT.
PUSH_SCAN_INTERVAL = 3600


@dataclass
class World:
    """What the module's tests share."""

    loop: LoopThread
    ha: HomeAssistantProcess
    phones: dict[str, SimulatedPhone]
    entries: dict[str, str] = field(default_factory=dict)  # model -> entry id

    def run[T](self, awaitable: Awaitable[T]) -> T:
        """Run a coroutine on the module's loop."""
        return self.loop.run(awaitable)

    def on_loop[T](self, function: Callable[[], T]) -> T:
        """Call a function on the module's loop (the simulators' timers live there)."""

        async def call() -> T:
            return function()

        return self.run(call())

    def wait_states(self, wanted: dict[str, str | None]) -> None:
        """Wait until Home Assistant shows these states (None: no such entity)."""

        def shown(current: dict[str, str]) -> bool:
            return all(current.get(e) == state for e, state in wanted.items())

        if not self.run(self.ha.states.until(shown, WAIT)):
            seen = {e: self.ha.states.current.get(e) for e in wanted}
            pytest.fail(f"wanted {wanted}, Home Assistant shows {seen}")

    def wait_reloaded(self, entity_id: str, seen_from: int) -> None:
        """Wait until an entity went away after `seen_from` and is back (idle)."""
        log = self.ha.states

        def back(current: dict[str, str]) -> bool:
            gone = any(
                s.entity_id == entity_id and s.state in {None, "unavailable"}
                for s in log.seen[seen_from:]
            )
            return gone and current.get(entity_id) == "idle"

        if not self.run(log.until(back, WAIT)):
            pytest.fail(f"{entity_id} did not go away and come back")

    def entity(self, model: str, suffix: str) -> str:
        """Return the entity id of one of a phone's entities, e.g. `line_1`."""
        platform = suffix.partition(":")[0] if ":" in suffix else "sensor"
        name = suffix.rpartition(":")[2]
        return f"{platform}.{model.lower()}_1001_{name}"


@pytest.fixture(scope="module")
def world(e2e_loop: LoopThread) -> World:
    """Start two simulated phones and Home Assistant (once per module)."""
    phones = {
        model: e2e_loop.enter(
            SimulatedPhone.start(
                model,
                password=PASSWORD,
                auto_attended_transfer=True,
                no_key_entry_timeout=None,
                setup="readme",
            )
        )
        for model in ("GXP1165", "GXP2170")
    }
    ha = e2e_loop.enter(HomeAssistantProcess(name="e2e", link=True))
    return World(e2e_loop, ha, phones)


def test_onboarding_made_the_owner(world: World) -> None:
    """The owner exists and its token opens the REST API."""
    answer = world.run(world.ha.rest("GET", "/api/"))
    assert answer == {"message": "API running."}
    steps = world.run(world.ha.rest("GET", "/api/onboarding"))
    assert {"step": "user", "done": True} in steps


def test_an_expired_token_is_renewed(world: World) -> None:
    """Access tokens last 30 minutes; a soak runs longer: a 401 refreshes the token."""
    token = world.ha.token
    world.ha.token = "expired"  # noqa: S105
    answer = world.run(world.ha.rest("GET", "/api/"))
    assert answer == {"message": "API running."}
    assert world.ha.token not in ("expired", token)


def test_config_flow_adds_both_phones(world: World) -> None:
    """The user step of the config flow, over HTTP, creates one loaded entry per phone."""
    for model, sim in world.phones.items():
        entry = world.run(world.ha.add_phone(sim.port, PASSWORD))
        assert entry["title"] == f"{model} 1001"
        world.entries[model] = entry["entry_id"]
    entries = world.run(world.ha.entries())
    assert sorted((e["title"], e["state"]) for e in entries) == [
        ("GXP1165 1001", "loaded"),
        ("GXP2170 1001", "loaded"),
    ]
    # The same phone again is refused: its MAC is the entry's unique id.
    flow = world.run(
        world.ha.rest("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
    )
    again = world.run(
        world.ha.rest(
            "POST",
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            {
                "host": f"127.0.0.1:{world.phones['GXP1165'].port}",
                "password": PASSWORD,
                "advanced": {"ssl": False, "verify_ssl": False},
            },
        )
    )
    assert (again["type"], again["reason"]) == ("abort", "already_configured")


def test_states_over_rest_and_websocket(world: World) -> None:
    """Each phone's lines are entities, readable over REST and pushed over the WebSocket."""
    line = world.run(
        world.ha.rest("GET", f"/api/states/{world.entity('GXP2170', 'line_1')}")
    )
    assert line["state"] == "idle"
    assert line["attributes"]["friendly_name"] == "GXP2170 1001 Line 1"
    status = world.run(
        world.ha.rest("GET", f"/api/states/{world.entity('GXP1165', 'phone_status')}")
    )
    assert status["state"] == "available"
    # The GXP1165 has two lines, the GXP2170 twelve.
    lines = {
        model: sorted(
            (
                e["entity_id"]
                for e in world.run(world.ha.entities_of(entry_id))
                if "_line_" in e["entity_id"]
            ),
            key=lambda entity_id: int(entity_id.rpartition("_")[2]),
        )
        for model, entry_id in world.entries.items()
    }
    assert len(lines["GXP1165"]) == 2
    assert len(lines["GXP2170"]) == 12
    # Lines 3 and up are created disabled (no state), so the device page stays short.
    enabled = lines["GXP1165"] + lines["GXP2170"][:2]
    disabled = lines["GXP2170"][2:]
    world.wait_states(dict.fromkeys(enabled, "idle") | dict.fromkeys(disabled))


def test_answer_action_over_rest(world: World) -> None:
    """`grandstream_gxp.answer` answers the ringing call, on the phone and in hass."""
    phone = world.phones["GXP1165"].phone
    world.on_loop(lambda: phone.incoming_call("1001", "Alice"))
    device = world.run(world.ha.device_of(world.entries["GXP1165"]))
    world.run(world.ha.call(DOMAIN, "answer", {"device_id": device}))
    assert phone.line(1).state == "connected"
    assert phone.requests.count("api-phone_operation") + phone.requests.count(
        "api-send_key"
    )
    world.wait_states(
        {
            world.entity("GXP1165", "line_1"): "connected",
            world.entity("GXP1165", "phone_status"): "busy",
            world.entity("GXP1165", "binary_sensor:in_call"): "on",
        }
    )
    answer = world.run(
        world.ha.rest("GET", f"/api/states/{world.entity('GXP1165', 'line_1')}")
    )
    assert answer["attributes"]["remote_number"] == "1001"
    # The far end hangs up: a poll (every second during a call) brings the line back.
    world.on_loop(lambda: phone.far_end_hangup(1))
    world.wait_states({world.entity("GXP1165", "line_1"): "idle"})


def test_push_event_changes_state_without_a_poll(world: World) -> None:
    """An Action URL request from the phone changes the state at once."""
    entry_id = world.entries["GXP2170"]
    line_1 = world.entity("GXP2170", "line_1")
    seen_from = len(world.ha.states.seen)
    world.run(
        world.ha.set_options(
            entry_id,
            {
                "auto_attended_transfer": True,
                "swap_method": "auto",
                "scan_interval": PUSH_SCAN_INTERVAL,
                "write_action_urls": False,
            },
        )
    )
    world.wait_reloaded(line_1, seen_from)  # options changes reload the entry
    sim = world.phones["GXP2170"]
    templates = world.run(world.ha.action_urls(entry_id))
    assert f"127.0.0.1:{world.ha.port}/api/webhook/" in templates["incoming_call"]
    world.on_loop(lambda: sim.phone.settings.update(action_urls=templates))
    world.on_loop(lambda: sim.phone.incoming_call("1002", "Bob"))
    world.wait_states(
        {line_1: "ringing", world.entity("GXP2170", "binary_sensor:ringing"): "on"}
    )
    sent = [s for s in sim.phone.action_urls.sent if s.event == "incoming_call"]
    assert [s.status for s in sent] == [200]
    ringing = world.run(world.ha.rest("GET", f"/api/states/{line_1}"))
    assert ringing["attributes"]["remote_name"] == "Bob"
    # The caller gives up: Missed, also pushed.
    world.on_loop(lambda: sim.phone.far_end_hangup(1))
    world.wait_states({line_1: "idle"})


def test_reload_brings_the_entities_back(world: World) -> None:
    """Reloading an entry unloads its entities and sets them up again."""
    entry_id = world.entries["GXP2170"]
    before = sorted(e["entity_id"] for e in world.run(world.ha.entities_of(entry_id)))
    line_1 = world.entity("GXP2170", "line_1")
    seen_from = len(world.ha.states.seen)
    answer = world.run(
        world.ha.rest("POST", f"/api/config/config_entries/entry/{entry_id}/reload")
    )
    assert answer == {"require_restart": False}
    world.wait_reloaded(line_1, seen_from)
    after = sorted(e["entity_id"] for e in world.run(world.ha.entities_of(entry_id)))
    assert after == before
    assert [e["state"] for e in world.run(world.ha.entries())] == ["loaded"] * 2


def test_removal_removes_device_and_entities(world: World) -> None:
    """Deleting an entry removes its device, its registry entries and its states."""
    entry_id = world.entries.pop("GXP1165")
    entities = [e["entity_id"] for e in world.run(world.ha.entities_of(entry_id))]
    assert entities
    world.run(world.ha.rest("DELETE", f"/api/config/config_entries/entry/{entry_id}"))
    world.wait_states(dict.fromkeys(entities, None))
    assert world.run(world.ha.entities_of(entry_id)) == []
    with pytest.raises(RuntimeError, match="no device"):
        world.run(world.ha.device_of(entry_id))
    assert [e["title"] for e in world.run(world.ha.entries())] == ["GXP2170 1001"]
