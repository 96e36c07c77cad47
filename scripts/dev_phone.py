"""`scripts/phone`: make the simulated phones of `scripts/develop` ring, answer, hang up.

It talks to the simulators' control API (`/_sim/`, loopback only) on the ports that
`scripts/develop` wrote into `config/gxp_simulators.json` (8701 for the GXP1165, 8702 for
the GXP2170 unless that file says otherwise).
"""

import argparse
from collections.abc import Sequence
from dataclasses import asdict, dataclass
import json
from pathlib import Path
import sys
from typing import Any
import urllib.error
import urllib.request

ROOT = Path(__file__).resolve().parent.parent
STATE_FILE = ROOT / "config" / "gxp_simulators.json"
TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class DevPhone:
    """One simulated phone of the development instance."""

    name: str  # what --phone takes
    model: str
    port: int
    mac: str


PHONES = (
    DevPhone("gxp1165", "GXP1165", 8701, "00:0B:82:11:65:01"),
    DevPhone("gxp2170", "GXP2170", 8702, "00:0B:82:21:70:01"),
)


def write_state(phones: Sequence[DevPhone], path: Path = STATE_FILE) -> None:
    """Record where the simulators listen (scripts/develop calls this)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(p) for p in phones], indent=2) + "\n")


def read_state(path: Path = STATE_FILE) -> list[DevPhone]:
    """Return the simulators scripts/develop started (the fixed defaults without its file)."""
    try:
        items = json.loads(path.read_text())
        return [DevPhone(**item) for item in items]
    except OSError, ValueError, TypeError:
        return list(PHONES)


class PhoneError(Exception):
    """The simulator is not running or refused the request."""


def control(phone: DevPhone, path: str, payload: dict[str, Any] | None = None) -> Any:
    """GET (no payload) or POST one control API request; return its JSON answer."""
    url = f"http://127.0.0.1:{phone.port}/_sim/{path}"
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as resp:  # noqa: S310 - http://127.0.0.1 only
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        raise PhoneError(f"{phone.name}: {path}: {err.read().decode()}") from err
    except OSError as err:
        raise PhoneError(
            f"{phone.name} is not answering on port {phone.port} "
            "(is scripts/develop running?)"
        ) from err


def _pick(phones: list[DevPhone], name: str | None) -> DevPhone:
    if name is None:
        # The GXP2170 has Action URLs, so its calls show in Home Assistant at once.
        return phones[-1]
    for phone in phones:
        if phone.name == name.lower():
            return phone
    raise PhoneError(
        f"no phone {name!r}; choose from {', '.join(p.name for p in phones)}"
    )


def _lines(phone: DevPhone) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = control(phone, "state")["lines"]
    return lines


def _far_end(phone: DevPhone, action: str, line: int | None, states: set[str]) -> str:
    """Let the far end of `line` (default: every line in one of `states`) act."""
    if line is None:
        targets = [item["number"] for item in _lines(phone) if item["state"] in states]
        if not targets:
            raise PhoneError(f"{phone.name}: no line is {' or '.join(sorted(states))}")
    else:
        targets = [line]
    for number in targets:
        if not control(phone, action, {"line": number})["ok"]:
            raise PhoneError(f"{phone.name}: line {number}: nothing to {action}")
    return f"{phone.name}: far end {action}: line {', '.join(map(str, targets))}"


def _status(phones: list[DevPhone]) -> str:
    out = []
    for phone in phones:
        try:
            state = control(phone, "state")
        except PhoneError as err:
            out.append(str(err))
            continue
        out.append(f"{phone.name} ({state['model']}, port {phone.port})")
        for line in state["lines"]:
            who = " ".join(
                part for part in (line["remote_number"], line["remote_name"]) if part
            )
            out.append(f"  line {line['number']}: {line['state']} {who}".rstrip())
    return "\n".join(out)


def build_parser() -> argparse.ArgumentParser:
    """Build the command line parser."""
    parser = argparse.ArgumentParser(
        prog="scripts/phone",
        description=(
            "Drive the simulated phones of scripts/develop (GXP1165 on port 8701, "
            "GXP2170 on 8702; --phone picks one, the GXP2170 by default)."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ring = sub.add_parser("ring", help="a call comes in from NUMBER")
    ring.add_argument("number")
    ring.add_argument("--name", default="", help="the caller's display name")
    answer = sub.add_parser("answer", help="the far end answers an outgoing call")
    hangup = sub.add_parser(
        "hangup", help="the far end hangs up (or a ringing caller gives up)"
    )
    for command in (ring, answer, hangup):
        command.add_argument("--phone", help="gxp1165 or gxp2170")
    for command in (answer, hangup):
        command.add_argument("--line", type=int, help="only this line")
    sub.add_parser("status", help="the lines of every phone")
    return parser


def run(args: argparse.Namespace, phones: list[DevPhone]) -> str:
    """Carry out one command; return what to print."""
    if args.command == "status":
        return _status(phones)
    phone = _pick(phones, args.phone)
    if args.command == "ring":
        line = control(phone, "incoming", {"number": args.number, "name": args.name})
        if line.get("line") is None:
            raise PhoneError(f"{phone.name}: no free line for the call")
        return f"{phone.name}: {args.number} is ringing on line {line['line']}"
    if args.command == "answer":
        return _far_end(phone, "answer", args.line, {"calling"})
    return _far_end(
        phone, "hangup", args.line, {"ringing", "connected", "onhold", "calling"}
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        print(run(args, read_state()))
    except PhoneError as err:
        print(f"phone: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
