"""Home Assistant benchmarks: event-to-state latency, idle requests, actions, scale.

Everything runs against simulated phones (`gxp_simulator`, in this process) and real
`hass` processes (`scripts/bench_hass.py`), on 127.0.0.1 only.

* latency: three setups side by side in one Home Assistant, each with its own phone:
  `push` (our integration, the phone's Action URLs pointed at the entry's webhook),
  `poll` (our integration, no Action URLs), and `rest` (a YAML `rest` sensor reading
  `api-get_line_status` at its default 30 s, the way these phones are integrated without
  us). A call rings in (`incoming_call`) and the caller gives up (`far_end_hangup`) at a
  random offset (uniform 0-30 s) after the previous state was seen, so the event falls at
  a random phase of each poll cycle; latency = state seen on the WebSocket - event
  triggered (one monotonic clock, one process). The setups run concurrently.
* idle: a second, untouched phone per setup; the requests it receives over the latency
  phase's window, scaled to an hour.
* actions: one phone; each action from a prepared state, timed from the REST call until
  the WebSocket shows the final line states; requests = what the phone received meanwhile.
* scale: a fresh Home Assistant with 1, 10, 50 phones (scan interval 5 s so that many
  polls fall in a short window): config-flow time per entry (connection test + entry
  setup), RSS growth per phone, and the hass process's CPU time per poll (CPU over a
  window, minus the same window's CPU with no phones, divided by the line-status reads
  the phones received): all of a poll's work, of which the event loop does nearly all.
"""

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import partial
import itertools
import operator
import random
import statistics
import time
from typing import Any

import psutil  # type: ignore[import-untyped]

from gxp_simulator import SimulatedPhone
from gxp_simulator.farend import FarEnd

from .dev_hass import DOMAIN, HomeAssistantProcess

PASSWORD = "admin"  # noqa: S105 - the simulated phones' password
MODEL = "GXP2170"
REST_INTERVAL = 30.0  # the rest sensor's default scan interval
MAX_WAIT = 75.0  # longest wait for one state (two rest polls and a margin)
LINES = 6  # GXP2170 line sensors


@dataclass(frozen=True, slots=True)
class Options:
    """How long and how much to measure."""

    cycles: int = 5  # ring + give-up cycles per setup (2 samples each)
    action_rounds: int = 5
    scale_sizes: tuple[int, ...] = (1, 10, 50)
    scale_window: float = 30.0
    ref: str | None = "HEAD"
    seed: int = 1

    @classmethod
    def quick(cls, ref: str | None) -> Options:
        """About three minutes."""
        return cls(
            cycles=2,
            action_rounds=2,
            scale_sizes=(1, 10, 50),
            scale_window=10.0,
            ref=ref,
        )


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


@dataclass(slots=True)
class Setup:
    """One way of getting a phone into Home Assistant."""

    name: str
    sim: SimulatedPhone
    idle_sim: SimulatedPhone
    entity: str = ""
    idle_entity: str = ""
    available: bool = True
    note: str = ""
    samples: list[float] = field(default_factory=list)
    by_event: dict[str, list[float]] = field(default_factory=dict)
    timeouts: int = 0


def rest_yaml(setups: list[tuple[str, int]]) -> str:
    """YAML of one `rest` sensor per (name, port), as people write it, plus rest_command."""
    lines = ["sensor:"]
    for name, port in setups:
        lines += [
            "  - platform: rest",
            f"    name: {name}",
            (
                f"    resource: http://127.0.0.1:{port}/cgi-bin/api-get_line_status"
                f"?passcode={PASSWORD}"
            ),
            '    value_template: "{{ value_json.body[0].state }}"',
        ]
    return "\n".join(lines) + "\n"


async def _line_entity(ha: HomeAssistantProcess, entry_id: str, line: int) -> str:
    return await ha.line_entity(entry_id, line)


async def _enable_push(
    ha: HomeAssistantProcess, entry_id: str, sim: SimulatedPhone
) -> str | None:
    """Point the phone's Action URLs at the entry's webhook; None if there is none."""
    try:
        templates = await ha.action_urls(entry_id)
    except RuntimeError as err:
        return f"Action URLs unavailable ({err})"
    if not templates:
        return "this revision of the integration has no push (no Action URLs)"
    if not any("127.0.0.1" in url for url in templates.values()):
        return f"Action URLs do not point at this Home Assistant: {templates}"
    sim.phone.settings.update(action_urls=templates)
    return None


async def _cycle_latency(
    ha: HomeAssistantProcess,
    setup: Setup,
    cycles: int,
    rng: random.Random,
    deadline: float,
) -> None:
    """Ring and give up `cycles` times at random offsets; collect the latencies."""
    phone = setup.sim.phone
    steps: list[tuple[Callable[[], object], str]] = [
        (lambda: phone.incoming_call("1001", "Bench"), "ringing"),
        (lambda: phone.far_end_hangup(1), "idle"),
    ]
    for _ in range(cycles):
        for trigger, expect in steps:
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(rng.uniform(0, REST_INTERVAL))
            start = time.monotonic()
            trigger()
            seen = await ha.states.wait(
                setup.entity, partial(operator.eq, expect), start, MAX_WAIT
            )
            if seen is None:
                setup.timeouts += 1
                for line in range(1, LINES + 1):
                    phone.far_end_hangup(line)
                await ha.states.wait(
                    setup.entity, lambda s: s == "idle", start, MAX_WAIT
                )
                break
            setup.samples.append(seen - start)
            setup.by_event.setdefault(expect, []).append(seen - start)


async def _prove_push(ha: HomeAssistantProcess, setup: Setup, entity: str) -> None:
    """One call on a push phone, so the integration has seen its first Action URL."""
    phone = setup.idle_sim.phone if entity == setup.idle_entity else setup.sim.phone
    start = time.monotonic()
    phone.incoming_call("1001", "Bench")
    await ha.states.wait(entity, lambda s: s == "ringing", start, MAX_WAIT)
    phone.far_end_hangup(1)
    await ha.states.wait(entity, lambda s: s == "idle", start, MAX_WAIT)


async def bench_latency_idle(opts: Options, actions_too: bool = True) -> dict[str, Any]:
    """Latency and idle requests per setup (and the actions, in the same hass)."""
    rng = random.Random(opts.seed)  # noqa: S311 - offsets, not secrets
    async with AsyncExitStack() as stack:

        async def phone(**settings: Any) -> SimulatedPhone:
            return await stack.enter_async_context(
                SimulatedPhone.start(
                    MODEL, password=PASSWORD, **settings, setup="readme"
                )
            )

        setups = [
            Setup(name, await phone(), await phone())
            for name in ("push", "poll", "rest")
        ]
        action_sim = await phone(click_to_dial=True, auto_attended_transfer=True)
        rest = setups[2]
        ha = await stack.enter_async_context(
            HomeAssistantProcess(
                name="main",
                ref=opts.ref,
                extra_yaml=rest_yaml(
                    [
                        ("rest phone", rest.sim.port),
                        ("rest idle phone", rest.idle_sim.port),
                    ]
                )
                + "rest_command:\n"
                f"  gxp_dial:\n    url: http://127.0.0.1:{rest.sim.port}"
                f"/cgi-bin/api-make_call?phonenumber={{{{ number }}}}&account=0"
                f"&passcode={PASSWORD}\n",
            )
        )
        rest.entity, rest.idle_entity = "sensor.rest_phone", "sensor.rest_idle_phone"
        for setup in setups[:2]:
            for sim, attr in ((setup.sim, "entity"), (setup.idle_sim, "idle_entity")):
                entry = await ha.add_phone(sim.port, PASSWORD)
                setattr(setup, attr, await _line_entity(ha, entry["entry_id"], 1))
                if setup.name == "push":
                    problem = await _enable_push(ha, entry["entry_id"], sim)
                    if problem is not None:
                        setup.available, setup.note = False, problem
        push = setups[0]
        if push.available:
            for entity in (push.entity, push.idle_entity):
                await _prove_push(ha, push, entity)

        actions: dict[str, Any] = {}
        if actions_too:
            actions = await bench_actions(ha, action_sim, opts.action_rounds)

        for setup in setups:
            setup.sim.phone.requests.clear()
            setup.idle_sim.phone.requests.clear()
        started = time.monotonic()
        deadline = started + opts.cycles * 2 * (REST_INTERVAL + MAX_WAIT)
        await asyncio.gather(
            *(
                _cycle_latency(ha, setup, opts.cycles, rng, deadline)
                for setup in setups
                if setup.available
            )
        )
        window = time.monotonic() - started

        rows = []
        for setup in setups:
            idle_requests = len(setup.idle_sim.phone.requests)
            times = [record.time for record in setup.idle_sim.phone.requests]
            by_endpoint: dict[str, int] = {}
            for record in setup.idle_sim.phone.requests:
                by_endpoint[record.endpoint] = by_endpoint.get(record.endpoint, 0) + 1
            rows.append(
                {
                    "setup": setup.name,
                    "available": setup.available,
                    "note": setup.note,
                    "samples": len(setup.samples),
                    "timeouts": setup.timeouts,
                    "p50_ms": _ms(percentile(setup.samples, 0.5)),
                    "p99_ms": _ms(percentile(setup.samples, 0.99)),
                    "max_ms": _ms(max(setup.samples, default=None)),
                    "mean_ms": _ms(
                        statistics.fmean(setup.samples) if setup.samples else None
                    ),
                    "ring_p50_ms": _ms(
                        percentile(setup.by_event.get("ringing", []), 0.5)
                    ),
                    "give_up_p50_ms": _ms(
                        percentile(setup.by_event.get("idle", []), 0.5)
                    ),
                    "samples_ms": {
                        event: [_ms(v) for v in values]
                        for event, values in setup.by_event.items()
                    },
                    "idle_requests": idle_requests,
                    "idle_by_endpoint": by_endpoint,
                    "idle_gaps_s": [
                        round(b - a, 1) for a, b in itertools.pairwise(times)
                    ],
                    "idle_first_last_s": [
                        round(times[0] - started, 1) if times else None,
                        round(times[-1] - started, 1) if times else None,
                    ],
                    "idle_requests_per_hour": round(idle_requests * 3600 / window),
                }
            )
    return {
        "latency": {
            "what": (
                "incoming call rings, then the caller gives up; each event at a random "
                "offset (0-30 s) after the previous state was seen; latency = state on "
                "Home Assistant's WebSocket - event triggered at the simulator; setups "
                "measured concurrently in one hass"
            ),
            "window_s": round(window, 1),
            "rows": rows,
        },
        "actions": actions,
    }


# ------------------------------------------------------------------ actions


@dataclass(frozen=True, slots=True)
class ActionCase:
    """One action: how to prepare the phone, the calls, the final line states."""

    name: str
    prepare: Callable[[HomeAssistantProcess, SimulatedPhone, str], Awaitable[None]]
    calls: tuple[tuple[str, dict[str, Any], dict[int, str]], ...]


async def _incoming_answered(
    ha: HomeAssistantProcess, sim: SimulatedPhone, device: str
) -> None:
    sim.phone.incoming_call("1001", "Caller")
    await sim.phone.wait_for_lines("ringing")
    await ha.call(DOMAIN, "answer", {"device_id": device})


async def _two_calls(
    ha: HomeAssistantProcess, sim: SimulatedPhone, device: str
) -> None:
    await _incoming_answered(ha, sim, device)
    sim.phone.incoming_call("1002", "Second")
    await sim.phone.wait_for(lambda p: p.line(2).state == "ringing", timeout=5)
    await ha.call(DOMAIN, "answer", {"device_id": device, "line": 2})
    await sim.phone.wait_for_lines("onhold", "connected")


async def _idle(_ha: HomeAssistantProcess, _sim: SimulatedPhone, _device: str) -> None:
    return


CASES = (
    ActionCase(
        "send_key (HOLD)",
        _incoming_answered,
        (("send_key", {"keys": "HOLD"}, {1: "onhold"}),),
    ),
    ActionCase(
        "dial",
        _idle,
        (("dial", {"number": "1002"}, {1: "connected"}),),
    ),
    ActionCase(
        "blind transfer",
        _incoming_answered,
        (("transfer", {"number": "1003", "mode": "blind"}, {1: "idle"}),),
    ),
    ActionCase(
        "attended transfer + complete",
        _incoming_answered,
        (
            (
                "transfer",
                {"number": "1003", "mode": "attended"},
                {1: "onhold", 2: "connected"},
            ),
            ("complete_transfer", {}, {1: "idle", 2: "idle"}),
        ),
    ),
    ActionCase(
        "swap",
        _two_calls,
        (("swap", {}, {1: "connected", 2: "onhold"}),),
    ),
)


async def _reset(
    ha: HomeAssistantProcess, sim: SimulatedPhone, entities: dict[int, str]
) -> None:
    """Every far end hangs up; wait until Home Assistant shows the lines idle."""
    for line in range(1, LINES + 1):
        sim.phone.far_end_hangup(line)
    await sim.phone.wait_for(
        lambda p: all(s == "idle" for s in p.line_states()), timeout=10
    )
    deadline = time.monotonic() + MAX_WAIT
    while time.monotonic() < deadline:
        if all(ha.states.current.get(e) == "idle" for e in entities.values()):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the action phone did not return to idle in Home Assistant")


async def _run_case(
    ha: HomeAssistantProcess,
    sim: SimulatedPhone,
    device: str,
    entities: dict[int, str],
    case: ActionCase,
) -> tuple[float, int]:
    """Prepare, run the case's calls; return the time to the final state and requests."""
    await case.prepare(ha, sim, device)
    await asyncio.sleep(0.2)
    sim.phone.requests.clear()
    start = time.monotonic()
    seen = start
    for service, data, final in case.calls:
        await ha.call(DOMAIN, service, {"device_id": device, **data})
        wanted = {entities[n]: state for n, state in final.items()}
        arrived = await ha.states.wait_all(wanted, start, 15)
        if arrived is None:
            raise RuntimeError(f"{service}: {wanted} not seen")
        seen = max(seen, arrived)
    return max(seen, time.monotonic()) - start, len(sim.phone.requests)


async def bench_actions(
    ha: HomeAssistantProcess, sim: SimulatedPhone, rounds: int
) -> dict[str, Any]:
    """Each action, `rounds` times, from call to final state seen over the WebSocket."""
    sim.phone.far_ends.default = FarEnd(answer_after=0.2)
    entry = await ha.add_phone(sim.port, PASSWORD)
    entry_id = entry["entry_id"]
    device = await ha.device_of(entry_id)
    entities = {n: await _line_entity(ha, entry_id, n) for n in (1, 2)}
    rows = []
    for case in CASES:
        times: list[float] = []
        requests: list[int] = []
        errors: list[str] = []
        for _ in range(rounds):
            await _reset(ha, sim, entities)
            try:
                elapsed, count = await _run_case(ha, sim, device, entities, case)
            except (RuntimeError, TimeoutError) as err:
                errors.append(str(err)[:300])
            else:
                times.append(elapsed)
                requests.append(count)
        rows.append(
            {
                "action": case.name,
                "runs": len(times),
                "errors": errors,
                "p50_ms": _ms(percentile(times, 0.5)),
                "max_ms": _ms(max(times, default=None)),
                "requests_median": (statistics.median(requests) if requests else None),
                "requests_max": max(requests, default=None),
            }
        )
    await _reset(ha, sim, entities)
    return {
        "what": (
            "REST action call until the WebSocket shows the final line states; requests "
            "= everything the phone received meanwhile (including background polls); "
            "far end answers after 0.2 s"
        ),
        "rows": rows,
    }


# ------------------------------------------------------------------ scale


async def _cpu_window(proc: psutil.Process, seconds: float) -> float:
    before = proc.cpu_times()
    await asyncio.sleep(seconds)
    after = proc.cpu_times()
    return float((after.user + after.system) - (before.user + before.system))


def _rss(proc: psutil.Process) -> int:
    return int(proc.memory_info().rss)


async def bench_scale(opts: Options) -> dict[str, Any]:
    """1, 10, 50 phones in one Home Assistant."""
    sizes = sorted(opts.scale_sizes)
    async with AsyncExitStack() as stack:
        sims = [
            await stack.enter_async_context(
                SimulatedPhone.start(MODEL, password=PASSWORD, setup="readme")
            )
            for _ in range(sizes[-1])
        ]
        ha = await stack.enter_async_context(
            HomeAssistantProcess(name="scale", ref=opts.ref)
        )
        if ha.proc is None:
            raise RuntimeError("Home Assistant is not running")
        proc = psutil.Process(ha.proc.pid)
        await asyncio.sleep(5)  # let startup settle
        idle_cpu = await _cpu_window(proc, opts.scale_window)
        rss_empty = _rss(proc)
        rows = []
        added = 0
        setup_times: list[float] = []
        for size in sizes:
            batch: list[float] = []
            while added < size:
                start = time.monotonic()
                entry = await ha.add_phone(sims[added].port, PASSWORD)
                batch.append(time.monotonic() - start)
                await ha.set_options(
                    entry["entry_id"],
                    {
                        "auto_attended_transfer": True,
                        "swap_method": "auto",
                        "scan_interval": 5,
                        "key_overrides": "",
                    },
                )
                added += 1
            setup_times += batch
            await asyncio.sleep(5)
            rss = _rss(proc)
            for sim in sims[:size]:
                sim.phone.requests.clear()
            cpu = await _cpu_window(proc, opts.scale_window)
            polls = sum(
                sim.phone.requests.count("api-get_line_status") for sim in sims[:size]
            )
            requests = sum(len(sim.phone.requests) for sim in sims[:size])
            rows.append(
                {
                    "phones": size,
                    "setup_ms_p50": _ms(percentile(batch, 0.5)),
                    "setup_ms_max": _ms(max(batch)),
                    "rss_mb": round(rss / 2**20, 1),
                    "rss_per_phone_kb": round((rss - rss_empty) / size / 1024),
                    "polls": polls,
                    "requests": requests,
                    "cpu_s": round(cpu, 3),
                    "cpu_ms_per_poll": (
                        round((cpu - idle_cpu) * 1000 / polls, 2) if polls else None
                    ),
                }
            )
    return {
        "what": (
            f"one hass, phones added through the config flow (scan interval then set to "
            f"5 s); setup = the config flow's submit (connection test, login, entry "
            f"setup); RSS growth over the empty instance; CPU time of the hass process "
            f"over {opts.scale_window:g} s minus an idle window, per line-status read"
        ),
        "idle_cpu_s": round(idle_cpu, 3),
        "rss_empty_mb": round(rss_empty / 2**20, 1),
        "rows": rows,
    }
