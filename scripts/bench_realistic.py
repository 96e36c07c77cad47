"""The realistic phone beside the ideal one, in one Home Assistant, in one run.

Two simulated GXP2170s set up as the README asks (`setup="readme"`), polled only (no Action
URLs), the far end answering after 0.2 s:

* `ideal`: `timing="instant"`: every answer at once, keys applied at once, no hand-over;
* `realistic`: `timing="realistic"` (the simulator's default): one request at a time, each
  answered after 40 ms, keys played 0.15 s apart after the reply, a key's effect shown in
  the line status 0.2 s later, a transfer's hand-over 0.5-3 s [INF, C S20, D S4; see
  gxp_simulator/README.md].

Measured on each phone, the phones taking turns round by round so that machine noise hits
both alike:

* attended transfer + complete and blind transfer: from the action call until the
  WebSocket shows the final line states, and the requests the phone received meanwhile
  (background polls included), with the most of them in any 1 s;
* a call: rings, answered, held, resumed and hung up through the integration's actions;
  over the call (ring to idle in Home Assistant) the most requests in any 1 s and the
  sustained rate (requests / call time);
* the most requests the phone was answering at once over the whole run (the goal is 1).
"""

import asyncio
from collections import Counter
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial
import operator
import statistics
import time
from typing import Any

from gxp_simulator import SimulatedPhone
from gxp_simulator.farend import FarEnd

from .bench_ha import CASES, _reset, _run_case, percentile
from .bench_soak import busiest_window
from .dev_hass import DOMAIN, HomeAssistantProcess

PASSWORD = "admin"  # noqa: S105 - the simulated phones' password
MODEL = "GXP2170"
TIMINGS = ("instant", "realistic")
MEASURED = ("attended transfer + complete", "blind transfer")
WAIT = 15.0
HOLD_FOR = 3.0


@dataclass(frozen=True, slots=True)
class RealisticOptions:
    """How much to measure."""

    rounds: int = 5  # per transfer case and phone
    talk: float = 20.0  # seconds of the measured call (plus the hold)
    ref: str | None = "HEAD"

    @classmethod
    def quick(cls, ref: str | None) -> RealisticOptions:
        """About a minute and a half."""
        return cls(rounds=2, talk=8.0, ref=ref)


@dataclass(slots=True)
class Bench:
    """One phone under measurement and what was measured on it."""

    timing: str
    sim: SimulatedPhone
    device: str = ""
    entities: dict[int, str] | None = None
    max_in_flight: int = 0

    def note_in_flight(self) -> None:
        """Keep the request log's maximum before it is cleared."""
        self.max_in_flight = max(
            self.max_in_flight, self.sim.phone.requests.max_in_flight
        )


def peak_in(times: Sequence[float], window: float = 1.0) -> int:
    """Return the most of `times` (seconds) that fall in any `window` seconds."""
    return busiest_window(sorted(times), window)[0]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


async def _case_round(
    ha: HomeAssistantProcess, bench: Bench, name: str
) -> dict[str, Any]:
    case = next(c for c in CASES if c.name == name)
    if bench.entities is None:
        raise RuntimeError("phone not added")
    await _reset(ha, bench.sim, bench.entities)
    bench.note_in_flight()
    elapsed, count = await _run_case(ha, bench.sim, bench.device, bench.entities, case)
    bench.note_in_flight()
    times = [record.time for record in bench.sim.phone.requests]
    return {"s": elapsed, "requests": count, "peak_1s": peak_in(times)}


async def _call(ha: HomeAssistantProcess, bench: Bench, talk: float) -> dict[str, Any]:
    """One call through the integration's actions; the phone's request rate over it."""
    if bench.entities is None:
        raise RuntimeError("phone not added")
    phone = bench.sim.phone
    line = bench.entities[1]
    await _reset(ha, bench.sim, bench.entities)
    bench.note_in_flight()
    phone.requests.clear()
    begin = phone.clock.now()
    phone.incoming_call("1001", "Caller")
    # Polled only, an idle phone is read every 30 s: answer once the phone rings, as
    # the action benchmarks do.
    await phone.wait_for_lines("ringing")
    target = {"device_id": bench.device, "line": 1}
    await ha.call(DOMAIN, "answer", target)
    await asyncio.sleep(talk / 2)
    await ha.call(DOMAIN, "hold", target)
    await asyncio.sleep(HOLD_FOR)
    await ha.call(DOMAIN, "resume", target)
    await asyncio.sleep(talk / 2)
    hung_up = time.monotonic()
    await ha.call(DOMAIN, "hang_up", target)
    if await ha.states.wait(line, partial(operator.eq, "idle"), hung_up, WAIT) is None:
        raise RuntimeError(f"{bench.timing}: the call did not end in Home Assistant")
    duration = phone.clock.now() - begin
    records = list(phone.requests)
    bench.note_in_flight()
    return {
        "call_s": round(duration, 1),
        "requests": len(records),
        "peak_1s": peak_in([r.time for r in records]),
        "peak_2s": peak_in([r.time for r in records], 2.0),
        "per_second": round(len(records) / duration, 2),
        "by_endpoint": dict(Counter(r.endpoint for r in records).most_common()),
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else round(a / b, 2)


async def bench_realistic(opts: RealisticOptions) -> dict[str, Any]:
    """Both phones in one Home Assistant; the transfers and a call on each."""
    async with AsyncExitStack() as stack:
        benches = [
            Bench(
                timing,
                await stack.enter_async_context(
                    SimulatedPhone.start(
                        MODEL,
                        password=PASSWORD,
                        setup="readme",
                        timing=timing,
                        seed=1,
                    )
                ),
            )
            for timing in TIMINGS
        ]
        ha = await stack.enter_async_context(
            HomeAssistantProcess(name="realistic", ref=opts.ref)
        )
        for bench in benches:
            bench.sim.phone.far_ends.default = FarEnd(answer_after=0.2)
            entry = await ha.add_phone(bench.sim.port, PASSWORD)
            bench.device = await ha.device_of(entry["entry_id"])
            bench.entities = {
                n: await ha.line_entity(entry["entry_id"], n) for n in (1, 2)
            }
            bench.sim.phone.requests.clear()
            bench.max_in_flight = 0

        samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
        errors: dict[tuple[str, str], list[str]] = {}
        for name in MEASURED:
            for index in range(opts.rounds):
                # Alternate which phone goes first, so neither always follows the other.
                order = benches if index % 2 == 0 else benches[::-1]
                for bench in order:
                    key = (bench.timing, name)
                    try:
                        sample = await _case_round(ha, bench, name)
                    except (RuntimeError, TimeoutError) as err:
                        errors.setdefault(key, []).append(str(err)[:300])
                    else:
                        samples.setdefault(key, []).append(sample)
        calls = await asyncio.gather(*(_call(ha, b, opts.talk) for b in benches))
        for bench in benches:
            await _reset(ha, bench.sim, bench.entities or {})
            bench.note_in_flight()

    rows: list[dict[str, Any]] = []
    for name in MEASURED:
        for bench in benches:
            got = samples.get((bench.timing, name), [])
            times = [s["s"] for s in got]
            rows.append(
                {
                    "phone": bench.timing,
                    "action": name,
                    "runs": len(got),
                    "errors": errors.get((bench.timing, name), []),
                    "p50_ms": _ms(percentile(times, 0.5)),
                    "max_ms": _ms(max(times, default=None)),
                    "requests_median": (
                        statistics.median(s["requests"] for s in got) if got else None
                    ),
                    "requests_max": max((s["requests"] for s in got), default=None),
                    "peak_1s_max": max((s["peak_1s"] for s in got), default=None),
                    # While the action runs: requests / its time, the median run.
                    "per_second": (
                        round(statistics.median(s["requests"] / s["s"] for s in got), 1)
                        if got
                        else None
                    ),
                }
            )
    ratios = {}
    for name in MEASURED:
        ideal, real = (
            next(r for r in rows if r["phone"] == t and r["action"] == name)
            for t in TIMINGS
        )
        ratios[name] = {
            "time_p50": _ratio(real["p50_ms"], ideal["p50_ms"]),
            "requests_median": _ratio(
                real["requests_median"], ideal["requests_median"]
            ),
        }
    call_rows = [
        {"phone": bench.timing, **call, "max_in_flight": bench.max_in_flight}
        for bench, call in zip(benches, calls, strict=True)
    ]
    return {
        "what": (
            "two GXP2170s set up as the README asks, polled only, far end answers after "
            "0.2 s; ideal = timing 'instant', realistic = timing 'realistic' (one request "
            "at a time, 40 ms per answer, 0.15 s per key, 0.2 s status lag, 0.5-3 s "
            "transfer hand-over); time = action call until the final line states on the "
            "WebSocket; requests = everything the phone received meanwhile"
        ),
        "rounds": opts.rounds,
        "rows": rows,
        "ratio_realistic_over_ideal": ratios,
        "call": {
            "what": (
                f"a call rings in, is answered, held {HOLD_FOR:g} s, resumed and hung up "
                f"through the actions ({opts.talk:g} s of talk); requests from the ring "
                "until Home Assistant shows the line idle; max_in_flight over the whole run"
            ),
            "rows": call_rows,
        },
        "goal": "max_in_flight 1; sustained at most about 2 requests/s",
        "met": all(
            row["max_in_flight"] <= 1 and row["per_second"] <= 2.0 for row in call_rows
        ),
    }
