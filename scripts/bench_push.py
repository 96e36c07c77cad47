"""Push latency: the event that waits for the caller's name, beside the one that did not.

Two designs of the Action URLs, side by side in one run, each in its own `hass`
process with its own simulated GXP2170:

* `name_from_read` (`ref`, normally HEAD): the URLs carry only `e` and `$mac`; the
  integration reads the line status once and fires `incoming` with the caller's
  number and name from that read (a name in the URL breaks the request; cti-api.md §12);
* `name_in_url` (`OLD_DESIGN_REF`): the URLs carried `$remote` and `$display_remote`;
  the event fired in the webhook handler, before any read.

Each round rings the phone and sends the filled-in Incoming URL as a raw request line
(as the phone does: nothing encoded; the caller's values here are URL-safe so that the
old design is measured at all). Latency = the event entity's new state on Home
Assistant's WebSocket - the request sent (one monotonic clock). The designs alternate
within each round, so machine noise hits both alike. The phone's own delay before it
sends (up to about a second [CAP S8]) is the same for both and is not included.

How long a real phone takes to answer `api-get_line_status` is not documented: the run
is repeated with the simulator answering at once and after `READ_LATENCIES` [INF].
"""

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
import statistics
import time
from typing import Any

from gxp_simulator import SimulatedPhone

from .dev_hass import DOMAIN, HomeAssistantProcess
from .raw_request import fill_verbatim, raw_get

PASSWORD = "admin"  # noqa: S105 - the simulated phones' password
MODEL = "GXP2170"
# The last revision whose Action URLs carry the number and name and whose events fire
# before the confirming read.
OLD_DESIGN_REF = "08c5231"
# Simulated answer times of a line-status read, in seconds (no measured figure exists).
READ_LATENCIES = (0.0, 0.1)
CALLER = ("1001", "Bench")  # URL-safe, so that the old design's URL arrives
WAIT = 15.0


@dataclass(slots=True)
class Design:
    """One design under measurement."""

    name: str
    ref: str | None
    sim: SimulatedPhone
    ha: HomeAssistantProcess
    incoming_url: str = ""
    event_entity: str = ""
    line_entity: str = ""
    samples: dict[float, list[float]] = field(default_factory=dict)
    named: int = 0  # events that carried the caller's name


async def _add_phone(ha: HomeAssistantProcess, sim: SimulatedPhone) -> dict[str, Any]:
    """Add the phone through the config flow, typing its MAC when the flow asks.

    The old design logs in only the plain way (variant b); the GXP2170 answers that
    with a failed login (it takes variant c [CAP S8]), so that flow asks for the MAC
    instead, as it would ask a user.
    """
    flow = await ha.rest("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
    path = f"/api/config/config_entries/flow/{flow['flow_id']}"
    result = await ha.rest(
        "POST",
        path,
        {
            "host": f"127.0.0.1:{sim.port}",
            "password": PASSWORD,
            "advanced": {"ssl": False, "verify_ssl": False},
        },
    )
    if result.get("step_id") == "mac":
        result = await ha.rest("POST", path, {"mac": sim.phone.mac})
    if result.get("type") != "create_entry":
        raise RuntimeError(f"config flow did not create an entry: {result}")
    entry: dict[str, Any] = result["result"]
    return entry


async def _prepare(design: Design) -> None:
    ha, sim = design.ha, design.sim
    entry = await _add_phone(ha, sim)
    templates = await ha.action_urls(entry["entry_id"])
    values = {
        "$mac": sim.phone.mac,
        "$remote": CALLER[0],
        "$display_remote": CALLER[1],
    }
    design.incoming_url = fill_verbatim(templates["incoming_call"], values)
    entities = await ha.entities_of(entry["entry_id"])
    design.event_entity = next(
        e["entity_id"] for e in entities if e["entity_id"].startswith("event.")
    )
    design.line_entity = await ha.line_entity(entry["entry_id"], 1)


async def _one_call(design: Design, latency: float) -> None:
    """Ring, push Incoming, time the event; then hang up and wait for idle."""
    ha, phone = design.ha, design.sim.phone
    phone.incoming_call(*CALLER)
    await phone.wait_for_lines("ringing")
    reads = phone.requests.count("api-get_line_status")
    start = time.monotonic()
    status = await raw_get(ha.port, design.incoming_url)
    seen = await ha.states.wait(
        design.event_entity, lambda s: s not in {None, "unknown"}, start, WAIT
    )
    if status == 200 and seen is not None:
        design.samples.setdefault(latency, []).append(seen - start)
        state = await ha.rest("GET", f"/api/states/{design.event_entity}")
        if state["attributes"].get("remote_name") == CALLER[1]:
            design.named += 1
    # Hang up only once the confirming read is answered: a call over before any read
    # sees it is another scenario (and the old design then swallows the next call
    # from the same number as a repetition).
    await phone.wait_for(
        lambda p: (
            p.requests.count("api-get_line_status") > reads
            and p.requests.in_flight == 0
        ),
        WAIT,
    )
    phone.far_end_hangup(1)
    await phone.wait_for_lines()
    # The 1 s poll of a ringing phone brings the line back to idle.
    await ha.states.wait(design.line_entity, lambda s: s == "idle", start, WAIT)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


async def bench_push_latency(ref: str | None, rounds: int) -> dict[str, Any]:
    """Measure both designs, alternating, `rounds` calls each."""
    async with AsyncExitStack() as stack:
        designs = []
        for name, design_ref in (
            ("name_from_read", ref),
            ("name_in_url", OLD_DESIGN_REF),
        ):
            sim = await stack.enter_async_context(
                # Set up as the README asks (the factory setup refuses CTI); instant,
                # so that the read takes exactly the simulated read time.
                SimulatedPhone.start(
                    MODEL, password=PASSWORD, setup="readme", timing="instant"
                )
            )
            ha = await stack.enter_async_context(
                HomeAssistantProcess(name=f"push-{name}", ref=design_ref)
            )
            designs.append(Design(name, design_ref, sim, ha))
        for design in designs:
            await _prepare(design)
        # One warm-up call each (first imports, first websocket state).
        for design in designs:
            await _one_call(design, -1.0)
            design.samples.clear()
            design.named = 0
        for latency in READ_LATENCIES:
            for design in designs:
                design.sim.phone.set_faults(
                    latency=latency, endpoints=["api-get_line_status"]
                )
            for index in range(rounds):
                for design in designs[:: 1 if index % 2 == 0 else -1]:
                    await _one_call(design, latency)
    rows = []
    ratios = {}
    for latency in READ_LATENCIES:
        for design in designs:
            samples = design.samples.get(latency, [])
            rows.append(
                {
                    "design": design.name,
                    "integration": "working tree" if design.ref is None else design.ref,
                    "read_latency_ms": _ms(latency),
                    "samples": len(samples),
                    "p50_ms": _ms(_median(samples)),
                    "max_ms": _ms(max(samples, default=None)),
                    "mean_ms": _ms(statistics.fmean(samples) if samples else None),
                }
            )
        new, old = (_median(d.samples.get(latency, [])) for d in designs)
        ratios[str(_ms(latency))] = None if not new or not old else round(new / old, 2)
    return {
        "what": (
            "Incoming Action URL sent raw -> event entity state on the WebSocket; "
            "the name-carrying design waits for one line-status read"
        ),
        "rounds": rounds,
        "named": {design.name: design.named for design in designs},
        "rows": rows,
        "p50_ratio_by_read_latency_ms": ratios,
    }
