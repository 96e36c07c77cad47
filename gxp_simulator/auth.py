"""Who may talk to the phone: passwords, lockout, web sessions, the Remote Control gate."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
import hashlib
import ipaddress
import math
import secrets
from typing import Any

from .clock import Clock
from .profiles import ModelProfile
from .settings import PhoneSettings

USERS = ("admin", "user")  # P2 and P196 [DOC S10]


def sha256_hex(text: str) -> str:
    """Lower-case hex SHA-256 of UTF-8 text, as the web UI computes it [CAP S8; CODE S9]."""
    return hashlib.sha256(text.encode()).hexdigest()


def model_login_variant(profile: ModelProfile) -> str:
    """Return the web login a model's firmware uses when the setting does not say.

    Challenge-response (c) on current GXP21xx/GRP firmware [CAP S8 WP826; CODE S9
    GXP2170 1.0.11.106; INF for the other GXP21xx/GRP versions]; the GXP1165 and
    other older firmware keep the plain form (b) [CODE S19, S18].
    """
    if profile.model.startswith(("GXP21", "GRP")):
        return "c"
    return "b"


def login_variant(profile: ModelProfile, settings: PhoneSettings) -> str:
    """Return the login variant this phone answers: the setting, else the model's."""
    return settings.login_variant or model_login_variant(profile)


def web_values_api(profile: ModelProfile, settings: PhoneSettings) -> str:
    """Which settings API the web UI has: "values", "config" or "both".

    api.values.* with the plain login [CODE S18]; the newer web UI (login c) also
    has config_get / config_update [CAP S8; CODE S9; VENDOR-CODE N1].
    """
    if settings.web_values_api is not None:
        return settings.web_values_api
    return "both" if login_variant(profile, settings) == "c" else "values"


class AuthResult(StrEnum):
    """Outcome of checking one request's credentials."""

    OK = "ok"
    LOCKED = "locked"
    WRONG = "wrong"  # wrong passcode: 200 + "unauthorized" [INF, spec 3.3]
    MISSING = "missing"  # no credentials at all: also "unauthorized" [INF]
    SESSION_EXPIRED = "session_expired"  # unknown sid: 401 HTML [CAP S8]


@dataclass(slots=True)
class Session:
    """A web session from /cgi-bin/dologin [CODE S19; CAP S8]."""

    sid: str
    role: str
    expires: float
    username: str = "admin"


@dataclass(frozen=True, slots=True)
class LoginResult:
    """What dologin answers."""

    ok: bool
    body: Any
    lock_minutes: int | None = None
    session: Session | None = None


class Authenticator:
    """Passwords, the shared failure counter and the sessions of one phone."""

    def __init__(self, clock: Clock, password: str) -> None:
        """Check against the admin `password`; the user password lives in settings."""
        self.clock = clock
        self.password = password
        self.failures = 0
        self.locked_until: float | None = None
        self.sessions: dict[str, Session] = {}
        self.nonces: dict[str, str] = {}  # sha256(username) -> nonce of variant c

    # ------------------------------------------------------------ lockout

    def lock_minutes(self) -> int | None:
        """Minutes left of a lockout (rounded up), or None when not locked."""
        if self.locked_until is None:
            return None
        left = self.locked_until - self.clock.now()
        if left <= 0:
            self.locked_until = None
            self.failures = 0
            return None
        return max(1, math.ceil(left / 60))

    def _fail(self, settings: PhoneSettings) -> int:
        """Count a wrong password; lock after P28117 failures for P1683 minutes [DOC S10]."""
        self.failures += 1
        left = settings.lockout_attempts - self.failures
        if left <= 0:
            self.locked_until = self.clock.now() + settings.lockout_minutes * 60
        return max(left, 0)

    def role_for(self, password: str, settings: PhoneSettings) -> str | None:
        """Return "admin" or "user", whichever password matches [DOC S1, S3]."""
        if secrets.compare_digest(password.encode(), self.password.encode()):
            return "admin"
        user = settings.user_password
        if user is not None and secrets.compare_digest(
            password.encode(), user.encode()
        ):
            return "user"
        return None

    # ------------------------------------------------------------- CTI

    def check_request(
        self,
        params: Mapping[str, str],
        cookies: Mapping[str, str],
        settings: PhoneSettings,
    ) -> AuthResult:
        """Credentials of an api-* request: `passcode`, `password` [CODE S11, S12] or a sid.

        Wrong passcodes count towards the lockout like wrong logins [I].
        """
        if self.lock_minutes() is not None:
            return AuthResult.LOCKED
        password = params.get("passcode", params.get("password"))
        if password is not None:
            if self.role_for(password, settings) is not None:
                self.failures = 0
                return AuthResult.OK
            self._fail(settings)
            return AuthResult.LOCKED if self.lock_minutes() else AuthResult.WRONG
        sid = params.get("sid") or cookies.get("sid") or cookies.get("session-identity")
        if sid is None:
            return AuthResult.MISSING
        return (
            AuthResult.OK
            if self.touch_session(sid, settings)
            else AuthResult.SESSION_EXPIRED
        )

    # --------------------------------------------------------- sessions

    def access(self, username_hash: str) -> str:
        """POST /cgi-bin/access (variant c): a fresh nonce for sha256(username) [CAP S8].

        Any hash gets a nonce, so the answer does not reveal which users exist [INF];
        the nonce serves one dologin [INF].
        """
        nonce = secrets.token_hex(16)[:31]  # ~31 characters [CAP S8]
        self.nonces[username_hash.lower()] = nonce
        return nonce

    def login(
        self,
        username: str,
        password: str,
        settings: PhoneSettings,
        *,
        variant: str = "b",
    ) -> LoginResult:
        """Log in like dologin, variant b or c.

        Variant b takes the plain password [CODE S19; CAP S8], variant c the hex
        sha256(password + nonce) of the latest `access` [CAP S8].

        Both variants count failures on the same counter as wrong passcodes [I].
        """
        if (minutes := self.lock_minutes()) is not None:
            return LoginResult(False, "locked", minutes)
        if username == "user" and settings.user_password is None:
            return LoginResult(False, "user is not allow")  # [CAP S8]
        secret = self._password_of(username, settings)
        if variant == "c":
            nonce = self.nonces.pop(sha256_hex(username), None)
            expected = None if nonce is None else sha256_hex(f"{secret}{nonce}")
        else:
            expected = secret
        if (
            username not in USERS
            or expected is None
            or not secrets.compare_digest(password.encode(), expected.encode())
        ):
            left = self._fail(settings)
            if (minutes := self.lock_minutes()) is not None:
                return LoginResult(False, "locked", minutes)
            return LoginResult(False, f"wrong{left}")
        self.failures = 0
        if settings.single_session:  # the older session dies [CAP S8 1.0.3.35]
            for sid in [
                s.sid for s in self.sessions.values() if s.username == username
            ]:
                del self.sessions[sid]
        session = Session(
            secrets.token_hex(16),
            username,
            self.clock.now() + settings.session_timeout,
            username,
        )
        self.sessions[session.sid] = session
        return LoginResult(True, None, session=session)

    def _password_of(self, username: str, settings: PhoneSettings) -> str:
        if username == "admin":
            return self.password
        if username == "user" and settings.user_password is not None:
            return settings.user_password
        return ""

    def touch_session(self, sid: str, settings: PhoneSettings) -> bool:
        """Whether the sid is valid; using it extends it (P28116 idle timeout) [DOC S10]."""
        session = self.sessions.get(sid)
        if session is None:
            return False
        now = self.clock.now()
        if session.expires <= now:
            del self.sessions[sid]
            return False
        session.expires = now + settings.session_timeout
        return True

    def reset(self) -> None:
        """Forget sessions and the lockout, as a reboot does [I]."""
        self.sessions.clear()
        self.nonces.clear()
        self.failures = 0
        self.locked_until = None


def ip_allowed(remote: str | None, settings: PhoneSettings) -> bool:
    """Check the Action URI Allowed IP List (P32052): "any", addresses; empty = nobody [INF]."""
    entries = [e.strip() for e in settings.allowed_ips.replace(";", ",").split(",")]
    entries = [e for e in entries if e]
    if any(e.lower() == "any" for e in entries):
        return True
    if remote is None:
        return False
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    for entry in entries:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
