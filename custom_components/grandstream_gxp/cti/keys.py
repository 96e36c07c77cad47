"""The key table for `api-send_key`: logical tokens, model families, wire form.

A wire token is the logical one, but `#` as `%23` (FORUM S6: a raw `#` starts the URL
fragment) and what an override or probe finding replaces; joined with `:` (CODE S13,
S14, S15). Evidence tags are those of `cti-api.md`; `?` = uncertain.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
import re
from types import MappingProxyType
from typing import Final

from .errors import CtiCommandError, CtiKeyError, shown

KEY_SEPARATOR: Final = ":"
POUND: Final = "#"
POUND_WIRE: Final = "%23"


class Key(StrEnum):
    """Keys the procedures and the probe press: table tokens, so overrides apply too."""

    SEND = "SEND"
    XFER = "XFER"
    HOLD = "HOLD"
    CONF = "CONF"
    HEADSET = "HEADSET"
    SPEAKER = "SPEAKER"
    OFFHOOK = "OFFHOOK"
    ONHOOK = "ONHOOK"
    UP = "UP"
    DOWN = "DOWN"
    POUND = POUND


# Other spellings firmware may expect for a key, after the default (the key probe tries
# them in this order). XFER works on a GXP1165 [FORUM S6] and the templates name a
# "transfer key" [DOC S10]; a client enum has Conference [CODE S27]; `#` is %23 on the
# forum [FORUM S6], POUND and HASH in two clients [CODE S27, S14b].
ALTERNATIVE_SPELLINGS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        Key.XFER: ("TRANSFER",),
        Key.CONF: ("CONFERENCE",),
        Key.POUND: ("POUND", "HASH"),
    }
)


def line_key(number: int) -> str:
    """Return the token of the line key `number` (1-based)."""
    return f"LINE{number}"


class Family(StrEnum):
    """Model families that differ in which keys they have."""

    GXP116X = "gxp116x"
    GXP16XX = "gxp16xx"
    GXP17XX = "gxp17xx"
    GXP21XX = "gxp21xx"
    GRP26XX = "grp26xx"
    GENERIC = "generic"


class _Evidenced:
    __slots__ = ()
    evidence: str  # ending in "?": unconfirmed

    @property
    def confirmed(self) -> bool:
        """Whether the evidence confirms it."""
        return not self.evidence.endswith("?")


@dataclass(frozen=True, slots=True)
class KeyInfo(_Evidenced):
    """One fixed key token with what it does and the evidence for its spelling."""

    token: str
    description: str
    evidence: str


_FIXED = (
    *((str(d), f"digit {d}", "CODE S13, S14, S15") for d in range(10)),
    ("STAR", "the * key", "DOC S2"),
    (POUND, "the # key, sent as %23", "FORUM S6"),
    ("SEND", "dial / send", "CODE S13, S14, S15"),
    ("XFER", "transfer", "FORUM S6 (works on GXP1165)"),
    ("HOLD", "hold", "DOC S3 names 'hold'; spelling ?"),
    ("CONF", "conference", "FORUM S6 names it; spelling ?"),
    ("MUTE", "mute", "CODE S13, S11"),
    ("SPEAKER", "speaker", "DOC S3 names 'speaker'; spelling ?"),
    ("HEADSET", "headset", "CODE S27 (Rust enum); spelling ?"),
    ("VUP", "volume up", "CODE S13"),
    ("VDOWN", "volume down", "CODE S13"),
    ("OFFHOOK", "off hook / answer", "DOC S2"),
    ("ONHOOK", "on hook / reject, hang up", "DOC S2"),
    ("OK", "navigation OK", "DOC S2"),
    ("UP", "navigation up", "DOC S2"),
    ("DOWN", "navigation down", "DOC S2"),
    ("LEFT", "navigation left", "DOC S2"),
    ("RIGHT", "navigation right", "DOC S2"),
    ("LOCK", "keypad lock", "DOC S2"),
    ("UNLOCK", "keypad unlock", "DOC S2"),
)

# Tokens without a number, available on every family.
FIXED_KEYS: Final[Mapping[str, KeyInfo]] = MappingProxyType(
    {row[0]: KeyInfo(*row) for row in _FIXED}
)

REFUSED_KEYS: Final[Mapping[str, str]] = MappingProxyType(
    {"FLASH": "FLASH is not accepted by the CTI API (FORUM S6, tried on a GXP1165)"}
)
"""Tokens people try that the API refuses, with the reason."""


@dataclass(frozen=True, slots=True)
class KeyRange(_Evidenced):
    """How many `LINEn`, `MPKn` or `SOFTn` keys a family has (1..last; 0 = none)."""

    last: int
    evidence: str


# Upper limits per family. Only GXP116x is known (its template has no line-key or MPK
# settings); the others get generous limits, so a real key is never refused on a
# guess. The API accepts LINE1..n (CODE S13), MPK1..n (DOC S2), SOFT1..3 (CODE S15).
def _generic(note: str) -> Mapping[str, KeyRange]:
    return MappingProxyType(
        {
            "LINE": KeyRange(48, f"INF: generous limit; {note} ?"),
            "MPK": KeyRange(48, f"INF: generous limit; {note} ?"),
            "SOFT": KeyRange(4, "CODE S15 (SOFT1-3); SOFT4 probable ?"),
        }
    )


_NOT_CONFIRMED = "line-key counts not confirmed (cti-api 8.1)"
FAMILY_RANGES: Final[Mapping[Family, Mapping[str, KeyRange]]] = MappingProxyType(
    {
        Family.GXP116X: MappingProxyType(
            {
                # No line keys, but LINE1-2 may select the two calls (§6.4 swap) [I].
                "LINE": KeyRange(
                    2, "DOC S10 no line keys; LINE1-2 may select calls [I] ?"
                ),
                "MPK": KeyRange(0, "DOC S10: no MPK settings in the template"),
                "SOFT": KeyRange(3, "CODE S10b: 3 function keys; CODE S15"),
            }
        ),
        Family.GXP16XX: _generic(_NOT_CONFIRMED),
        Family.GXP17XX: _generic(_NOT_CONFIRMED),
        Family.GXP21XX: _generic("CODE S9 mentions 48 virtual MPKs on GXP2170"),
        Family.GRP26XX: _generic(_NOT_CONFIRMED),
        Family.GENERIC: _generic("model unknown"),
    }
)

CHAR_TOKENS: Final[Mapping[str, str]] = MappingProxyType(
    {**{str(d): str(d) for d in range(10)}, "*": "STAR", "#": POUND}
)
"""Characters of a dial string and the logical token of each."""

_FAMILY_PATTERNS: Final = (
    (re.compile(r"GXP116\d"), Family.GXP116X),
    (re.compile(r"GXP16\d\d"), Family.GXP16XX),
    (re.compile(r"GXP17\d\d"), Family.GXP17XX),
    (re.compile(r"GXP21\d\d"), Family.GXP21XX),
    (re.compile(r"GRP26\d\d"), Family.GRP26XX),
)
_SPLIT = re.compile(r"[\s,:]+")
_DIAL_RUN = re.compile(r"[0-9*#]+")
_NUMBERED = re.compile(r"(LINE|MPK|SOFT)(\d{1,3})")
_WIRE_VALUE = re.compile(r"[A-Z0-9]+")


def family_for_model(model: str | None) -> Family:
    """Return the key family of a model name such as `GXP1165`; GENERIC if unknown."""
    name = (model or "").strip().upper()
    found = (family for pattern, family in _FAMILY_PATTERNS if pattern.search(name))
    return next(found, Family.GENERIC)


def canonical_token(token: str, family: Family | None = None) -> str:
    """Return the logical token for `token` if `family` has it, or raise CtiKeyError."""
    family = family or Family.GENERIC
    name = token.strip().upper()
    if name in CHAR_TOKENS:
        return CHAR_TOKENS[name]
    if name in FIXED_KEYS:
        return name
    if name in REFUSED_KEYS:
        raise CtiKeyError(token, f"Key {shown(token, 40)}: {REFUSED_KEYS[name]}")
    if match := _NUMBERED.fullmatch(name):
        prefix, number = match.group(1), int(match.group(2))
        limit = FAMILY_RANGES[family][prefix]
        if 1 <= number <= limit.last:
            return f"{prefix}{number}"
        have = (
            f"{prefix}1 to {prefix}{limit.last}" if limit.last else f"no {prefix} keys"
        )
        raise CtiKeyError(token, f"Key {shown(token, 40)}: {family} phones have {have}")
    raise CtiKeyError(token, f"Unknown key {shown(token, 40)}")


def _validate_override(token: str, wire: str) -> tuple[str, str]:
    logical = canonical_token(token)
    value = wire.strip().upper()
    if value != POUND_WIRE and not _WIRE_VALUE.fullmatch(value):
        raise CtiKeyError(
            token,
            f"Override for {logical!r} must be upper-case letters and digits, "
            f"or exactly '%23', not {shown(wire, 40)}",
        )
    return logical, value


class CtiKeyRefusedError(CtiKeyError, CtiCommandError):
    """A key the probe found refused: nothing is sent; procedures treat it as `unknown`."""

    def __init__(self, key: str) -> None:
        """Create the error for the logical `key`."""
        message = (
            f"Key {shown(key, 40)}: the key probe found no spelling this phone takes"
        )
        # CtiKeyError's super() is CtiCommandError here (MRO): initialise through it.
        CtiCommandError.__init__(self, "api-send_key", "unknown", message)
        self.key = key


def _validate_finding(token: str, wire: str | None) -> tuple[str, str | None]:
    if wire is None:
        return canonical_token(token), None
    return _validate_override(token, wire)


class KeyTable:
    """Keys of one phone: override, else probe finding (None: refused), else the default."""

    __slots__ = ("family", "overrides", "probed")

    def __init__(
        self,
        family: Family = Family.GENERIC,
        overrides: Mapping[str, str] | None = None,
        probed: Mapping[str, str | None] | None = None,
    ) -> None:
        """Create the table; raise CtiKeyError for an invalid override or finding."""
        self.family = family
        self.overrides: Mapping[str, str] = MappingProxyType(
            dict(_validate_override(k, wire) for k, wire in (overrides or {}).items())
        )
        self.probed: Mapping[str, str | None] = MappingProxyType(
            dict(_validate_finding(k, wire) for k, wire in (probed or {}).items())
        )

    def __repr__(self) -> str:
        """Return a readable representation."""
        return (
            f"KeyTable(family={self.family!s}, overrides={dict(self.overrides)!r}, "
            f"probed={dict(self.probed)!r})"
        )

    def trying(self, token: str, wire: str) -> KeyTable:
        """Return a copy in which `token` travels as `wire` (the probe's candidates)."""
        logical, value = _validate_override(token, wire)
        return KeyTable(self.family, {**self.overrides, logical: value}, self.probed)

    def parse(self, text: str) -> tuple[str, ...]:
        """Parse user text into logical tokens, checked against this family."""
        return parse_keys(text, self.family)

    def wire(self, token: str) -> str:
        """Return what travels in the URL for one logical token (`#` -> `%23`)."""
        logical = canonical_token(token, self.family)
        if logical in self.overrides:
            return self.overrides[logical]
        found = self.probed.get(logical, default_wire(logical))
        if found is None:
            raise CtiKeyRefusedError(logical)
        return found

    def encode(self, tokens: Iterable[str]) -> str:
        """Return the `keys=` value: wire tokens joined with `:`, already URL-safe."""
        wires = [self.wire(token) for token in tokens]
        if not wires:
            raise CtiKeyError("", "No keys given")
        return KEY_SEPARATOR.join(wires)


def default_wire(logical: str) -> str:
    """Return the default wire token of a logical token (`#` -> `%23`)."""
    return POUND_WIRE if logical == POUND else logical


def parse_keys(text: str, family: Family | None = None) -> tuple[str, ...]:
    """Turn user text (`"XFER 1002#"`) into logical tokens; CtiKeyError names a bad one."""
    tokens: list[str] = []
    for chunk in _SPLIT.split(text.strip()):
        if not chunk:
            continue
        if _DIAL_RUN.fullmatch(chunk):
            tokens.extend(CHAR_TOKENS[char] for char in chunk)
        else:
            tokens.append(canonical_token(chunk, family))
    if not tokens:
        raise CtiKeyError(text, "No keys given")
    return tuple(tokens)
