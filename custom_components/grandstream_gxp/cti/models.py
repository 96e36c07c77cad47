"""Frozen models of what the phone reports, and lenient parsers (`cti-api.md` §5).

An unreadable shape raises CtiResponseError; an unknown state is kept raw.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
import re
from typing import Any, Self

from .errors import CtiResponseError, shown
from .keys import Family, family_for_model


class LineState(StrEnum):
    """State of one line (call appearance) as `api-get_line_status` reports it."""

    IDLE = "idle"
    DIALING = "dialing"
    CALLING = "calling"
    RINGING = "ringing"
    CONNECTED = "connected"
    ONHOLD = "onhold"
    FAILED = "failed"


class PhoneState(StrEnum):
    """Overall phone state as `api-get_phone_status` reports it."""

    AVAILABLE = "available"
    RINGING = "ringing"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"  # no registered account (§12 N1)


class PhoneOperation(StrEnum):
    """The documented `cmd` values of `api-phone_operation` (DOC S2)."""

    ENDCALL = "endcall"
    HOLDCALL = "holdcall"
    ACCEPTCALL = "acceptcall"
    REJECTCALL = "rejectcall"
    CANCEL = "cancel"


class InfoSource(StrEnum):
    """Where a device fact came from."""

    SERVER_HEADER = "server_header"
    LOGIN = "login"


def _fail(what: str, field: str, value: object) -> CtiResponseError:
    return CtiResponseError(
        f"{what}: field {field!r} has an unexpected value {shown(value)}"
    )


# Exact JSON types first: the generic checks were most of the cost of a frequent read.
_INT = re.compile(r"\s*-?\d+\s*")
_TRUE = frozenset({"1", "true", "yes"})
_BOOLS = _TRUE | {"0", "false", "no", ""}


def _as_int(what: str, field: str, value: object) -> int:
    if type(value) is int:
        return value
    if isinstance(value, str) and _INT.fullmatch(value):
        return int(value)
    raise _fail(what, field, value)


def _as_optional_int(what: str, field: str, value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _as_int(what, field, value)


def _as_bool(what: str, field: str, value: object) -> bool:
    if isinstance(value, int):  # bool included
        return value != 0
    if isinstance(value, str) and (text := value.strip().lower()) in _BOOLS:
        return text in _TRUE
    raise _fail(what, field, value)


def _as_str(what: str, field: str, value: object) -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _fail(what, field, value)


def _as_list(what: str, value: object) -> list[Any]:
    if not isinstance(value, list):
        raise CtiResponseError(f"{what}: expected a JSON list, got {shown(value)}")
    return value


def _entry(what: str, value: object, *required: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CtiResponseError(f"{what}: expected a JSON object, got {shown(value)}")
    if any(name not in value for name in required):
        raise CtiResponseError(
            f"{what}: entry without {' or '.join(map(repr, required))}"
        )
    return value


_LINE_STATES = {state.value: state for state in LineState}
_PHONE_STATES = {state.value: state for state in PhoneState}


@dataclass(frozen=True, slots=True, kw_only=True)
class LineStatus:
    """One line (call appearance); `state` None: unknown, `account`: `acct` as sent."""

    line: int
    state: LineState | None
    raw_state: str
    account: int | None
    remote_number: str
    remote_name: str
    active: bool
    conference: bool | None

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse one entry of the `api-get_line_status` body."""
        what = "line status"
        obj = _entry(what, data, "line", "state")
        raw_state = obj["state"]
        if not isinstance(raw_state, str):
            raise _fail(what, "state", raw_state)
        number = _as_str(what, "remotenumber", obj.get("remotenumber"))
        name = _as_str(what, "remotename", obj.get("remotename"))
        conf = obj.get("conf")
        return cls(
            line=_as_int(what, "line", obj["line"]),
            state=_LINE_STATES.get(raw_state)
            or _LINE_STATES.get(raw_state.strip().lower()),
            raw_state=raw_state,
            account=_as_optional_int(what, "acct", obj.get("acct")),
            remote_number=number,
            # Connected, phones repeat the number as a missing name (WP826 [CAP N4]).
            remote_name="" if name == number else name,
            active=_as_bool(what, "active", obj.get("active", 0)),
            conference=None if conf is None else _as_bool(what, "conf", conf),
        )


type Lines = tuple[LineStatus, ...]


def parse_line_status(body: object) -> list[LineStatus]:
    """Parse the `body` of `api-get_line_status`."""
    return [LineStatus.from_json(entry) for entry in _as_list("line status", body)]


@dataclass(frozen=True, slots=True, kw_only=True)
class PhoneStatus:
    """Overall phone state (None: unknown; `raw` as sent), `misc` (meaning unknown)."""

    status: PhoneState | None
    raw: str
    misc: str | None

    @classmethod
    def from_json(cls, body: object, misc: object = None) -> Self:
        """Parse the `body` (and the optional sibling `misc`) of `api-get_phone_status`."""
        if not isinstance(body, str):
            raise CtiResponseError(
                f"phone status: expected a string body, got {shown(body)}"
            )
        return cls(
            status=_PHONE_STATES.get(body.strip().lower()),
            raw=body,
            misc=None if misc is None else _as_str("phone status", "misc", misc),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """One SIP account; `id` is 1-based as the phone sends it."""

    id: int
    sip_server: str
    sip_id: str
    name: str
    registered: bool

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Parse one entry of the `api-get_accounts` body."""
        what = "accounts"
        obj = _entry(what, data, "id")
        return cls(
            id=_as_int(what, "id", obj["id"]),
            sip_server=_as_str(what, "sip_server", obj.get("sip_server")),
            sip_id=_as_str(what, "sip_id", obj.get("sip_id")),
            name=_as_str(what, "name", obj.get("name")),
            registered=_as_bool(what, "reg", obj.get("reg", 0)),
        )


def account_id(acct: int | None, accounts: Sequence[Account]) -> int | None:
    """Return the 1-based id of the account a line's `acct` names, where it is known.

    `acct` is 0-based on a WP826 [CAP S8, N4], the account id in the vendor's client
    [VENDOR-CODE N1]; cti-api.md §12: accept both, map only with a hint. `0` can only
    be 0-based; otherwise the reading naming exactly one registered account wins.
    """
    if acct is None:
        return None
    if acct == 0:
        return 1
    registered = {account.id for account in accounts if account.registered}
    readings = {acct + 1, acct} & registered
    return readings.pop() if len(readings) == 1 else None


def parse_accounts(body: object) -> list[Account]:
    """Parse the `body` of `api-get_accounts`."""
    return [Account.from_json(entry) for entry in _as_list("accounts", body)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Sourced[T]:
    """A value together with where it came from."""

    value: T
    source: InfoSource


@dataclass(frozen=True, slots=True, kw_only=True)
class PhoneIdentity:
    """What the phone revealed about itself; a fact it did not reveal is None.

    `https_redirect`: HTTP redirects to `https_port` (the GRP261x default, §2.5).
    `keys_only`: keys work, the line status is HTTP 404.
    """

    model: Sourced[str] | None = None
    firmware: Sourced[str] | None = None
    mac: Sourced[str] | None = None
    line_count: int | None = None
    server_header: str | None = None
    https_redirect: bool = False
    https_port: int | None = None
    keys_only: bool = False

    @property
    def family(self) -> Family:
        """Return the key family of the model (GENERIC when the model is unknown)."""
        return family_for_model(self.model.value if self.model else None)


_SERVER = re.compile(
    r"""^\s*Grandstream\s+
    (?:Model\s+HW\s+)?
    (?P<model>[A-Z]{2,5}-?\d{2,5}[A-Z0-9]*)
    (?:\s+(?:V\S+\s+)?(?:SW\s+)?(?P<version>\d+(?:\.\d+){1,4}))?
    """,
    re.IGNORECASE | re.VERBOSE,
)


def parse_server_header(header: str | None) -> tuple[str | None, str | None]:
    """Return (model, firmware) of `Grandstream GXP2170 1.0.11.16`; None: not revealed."""
    if match := _SERVER.match(header or ""):
        return match.group("model").upper(), match.group("version")
    return None, None


_MAC_SEPARATORS = re.compile(r"[\s:.\-]")
_HEX12 = re.compile(r"[0-9a-f]{12}")


def normalize_mac(text: object) -> str | None:
    """Return a MAC in lower-case colon form (`00:0b:82:12:34:56`), or None if invalid."""
    digits = _MAC_SEPARATORS.sub("", text).lower() if isinstance(text, str) else ""
    if _HEX12.fullmatch(digits):
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    return None
