"""The phone's configuration (its P-values) plus the simulator's own knobs.

Defaults follow the real factory defaults where a source gives them, except where a
factory default would make the phone refuse CTI (Remote Control on GXP21xx/GRP): there
the simulator starts "configured for CTI" and the comment names the real default.
"""

from dataclasses import asdict, dataclass, field
import re
from typing import Any

from .action_url import event_name
from .profiles import ModelProfile

FORBIDDEN_VARIANTS = ("json", "html")
POPUP_VARIANTS = ("unauthorized", "forbidden", "block")
LOGIN_VARIANTS = ("b", "c")
WEB_VALUES_APIS = ("values", "config", "both")
ACTION_URL_ENCODINGS = ("verbatim", "percent")
MAC_NOTATIONS = ("plain", "colons", "dashes")


@dataclass(slots=True, kw_only=True)
class AccountConfig:
    """One SIP account as api-get_accounts reports it [DOC S2]."""

    sip_server: str = ""
    sip_id: str = ""
    name: str = ""
    registered: bool = False


def default_accounts(count: int) -> list[AccountConfig]:
    """Account 1 registered as 1001, the others empty."""
    accounts = [AccountConfig() for _ in range(count)]
    if accounts:
        accounts[0] = AccountConfig(
            sip_server="pbx.example.com",
            sip_id="1001",
            name="Desk 1001",
            registered=True,
        )
    return accounts


@dataclass(slots=True, kw_only=True)
class PhoneSettings:
    """Everything that can be changed at run time (control API, harness, CLI)."""

    # Call features.
    auto_attended_transfer: bool = False  # P1376, default 0 [D S16]
    click_to_dial: bool = False  # P1561, default 0 [DOC S10]
    use_hash_as_dial_key: bool = True  # P72, default 1 [D S16]
    no_key_entry_timeout: float | None = 4.0  # P85, default 4 s [D S16]; None = never
    call_waiting: bool = True  # P91 "Disable Call Waiting" default 0 [D S16]
    # Swap candidates on phones without line keys (call-control 6.4), all [I].
    line_keys_select_calls: bool = True
    hold_key_navigation: bool = False
    holdcall_toggles: bool = True  # [CODE S11, S12] clients rely on it; [I]
    # Firmware spellings of api-send_key tokens, for the documents' open questions
    # (cti-api 5.6 [?]): key -> the token this phone takes instead (e.g. XFER ->
    # TRANSFER, # -> POUND; the usual spelling is then refused), and keys this
    # firmware refuses outright (e.g. HOLD). Defaults: the spellings of KEY_EVIDENCE.
    key_spellings: dict[str, str] = field(default_factory=dict)
    missing_keys: list[str] = field(default_factory=list)
    # Simulator timing.
    key_delay: float = 0.0  # >0: keys applied after the reply, one per delay [C S20]
    reboot_time: float = 2.0
    failed_time: float = 0.5  # how long `failed` stays before idle [I]
    # Remote Control, only on models with the settings (GXP21xx, GRP26xx).
    action_uri_support: bool = True  # P32050, default 1 [DOC S10]
    allowed_ips: str = "any"  # P32052, real default "" = nobody [DOC S10; INF]
    popup: bool = False  # P32051, real default 1 (pop-up on) [DOC S10]
    forbidden_variant: str = "json"  # 403 with JSON "forbidden" or with HTML [INF]
    popup_variant: str = "unauthorized"  # [FORUM S7]; or "forbidden", "block"
    # Web access.
    user_password: str | None = (
        None  # P196; user web access off by default (P8469) [DOC S10]
    )
    lockout_attempts: int = 5  # P28117 [DOC S10]
    lockout_minutes: float = 5.0  # P1683 [DOC S10]
    session_timeout: float = 600.0  # P28116, 10 minutes [DOC S10]
    # Web login (cti-api.md 3.2). None = the model's: see auth.model_login_variant.
    login_variant: str | None = None  # "b" plain form, "c" challenge-response
    single_session: bool = False  # a second login kills the first [CAP S8 1.0.3.35]
    # False: api-* answer HTTP 401 HTML to passcode requests [CAP S8; VENDOR-CODE N1].
    passcode_accepted: bool = True
    # Which settings API the web UI has; None = "values" with login b, "both" with c.
    web_values_api: str | None = None
    # Action URL substitution [CODE N2]: verbatim bytes, or an encoding phone.
    action_url_encoding: str = "verbatim"
    mac_notation: str = "plain"  # colons, dashes or none all arrive [CODE N2]
    mac_upper: bool = False  # [CODE S10b] provisioning's lower-case devId; [I]
    # Variables sent as the literal `$name` when the phone has no value [CODE N2; CAP N4].
    literal_when_empty: list[str] = field(default_factory=lambda: ["display_remote"])
    # Identity used by Action URL variables.
    phone_ip: str = "127.0.0.1"
    language: str = "English"
    accounts: list[AccountConfig] = field(default_factory=list)
    action_urls: dict[str, str] = field(default_factory=dict)
    mpk_numbers: dict[int, str] = field(default_factory=dict)

    @classmethod
    def for_profile(cls, profile: ModelProfile, **changes: Any) -> PhoneSettings:
        """Defaults for one model, then `changes` applied."""
        settings = cls(
            auto_attended_transfer=profile.auto_attended_default,
            line_keys_select_calls=profile.line_keys_select_calls_default,
            accounts=default_accounts(profile.accounts),
        )
        settings.update(**changes)
        return settings

    def update(self, **changes: Any) -> None:
        """Change settings by name, validating names and types (JSON-friendly)."""
        for name, value in changes.items():
            setattr(self, name, _coerce(name, value))

    def to_json(self) -> dict[str, Any]:
        """All settings as JSON-ready data."""
        data = asdict(self)
        data["mpk_numbers"] = {str(k): v for k, v in self.mpk_numbers.items()}
        return data


_BOOLS = {
    "auto_attended_transfer",
    "click_to_dial",
    "use_hash_as_dial_key",
    "call_waiting",
    "line_keys_select_calls",
    "hold_key_navigation",
    "holdcall_toggles",
    "action_uri_support",
    "popup",
    "single_session",
    "passcode_accepted",
    "mac_upper",
}
_FLOATS = {
    "key_delay",
    "reboot_time",
    "failed_time",
    "lockout_minutes",
    "session_timeout",
}
_STRINGS = {"allowed_ips", "phone_ip", "language"}


def _coerce(name: str, value: Any) -> Any:
    if name in _BOOLS:
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be true or false")
        return value
    if name in _FLOATS or name == "no_key_entry_timeout":
        if value is None and name == "no_key_entry_timeout":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise TypeError(f"{name} must be a number >= 0")
        return float(value)
    if name == "lockout_attempts":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TypeError(f"{name} must be an integer >= 1")
        return value
    if name in _STRINGS:
        return _string(name, value)
    if name == "user_password":
        return None if value is None else _string(name, value)
    if name == "forbidden_variant":
        return _choice(name, value, FORBIDDEN_VARIANTS)
    if name == "popup_variant":
        return _choice(name, value, POPUP_VARIANTS)
    if name == "login_variant":
        return None if value is None else _choice(name, value, LOGIN_VARIANTS)
    if name == "web_values_api":
        return None if value is None else _choice(name, value, WEB_VALUES_APIS)
    if name == "action_url_encoding":
        return _choice(name, value, ACTION_URL_ENCODINGS)
    if name == "mac_notation":
        return _choice(name, value, MAC_NOTATIONS)
    if name == "literal_when_empty":
        if not isinstance(value, list | tuple):
            raise TypeError(f"{name} must be a list")
        return [_string(name, item) for item in value]
    if name == "accounts":
        return _accounts(value)
    if name == "action_urls":
        return {event_name(str(k)): _string(name, v) for k, v in _mapping(name, value)}
    if name == "mpk_numbers":
        return {int(k): _string(name, v) for k, v in _mapping(name, value)}
    if name == "key_spellings":
        return {_token(name, k): _token(name, v) for k, v in _mapping(name, value)}
    if name == "missing_keys":
        if not isinstance(value, list | tuple):
            raise TypeError(f"{name} must be a list")
        return [_token(name, item) for item in value]
    raise AttributeError(f"unknown setting {name!r}")


_TOKEN = re.compile(r"[A-Z0-9]+|#")


def _token(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise ValueError(f"{name}: {value!r} is not a key token (A-Z, 0-9, or #)")
    return value


def _string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string")
    return value


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}")
    return str(value)


def _mapping(name: str, value: Any) -> list[tuple[Any, Any]]:
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a mapping")
    return list(value.items())


def _accounts(value: Any) -> list[AccountConfig]:
    if not isinstance(value, list):
        raise TypeError("accounts must be a list")
    result = []
    for item in value:
        if isinstance(item, AccountConfig):
            result.append(item)
        elif isinstance(item, dict):
            result.append(AccountConfig(**item))
        else:
            raise TypeError("each account must be a mapping")
    return result
