"""What api-get_line_status shows: the model's wording of each line, as of a moment.

The phone takes a snapshot after every change and publishes it `status_lag` seconds
later, so a poll right after a key press still sees the old state [C S20; INF].
"""

from typing import TYPE_CHECKING, Any

from .profiles import AcctStyle
from .state import IDLE, Line

if TYPE_CHECKING:
    from .phone import SimPhone

# The state a line shows while its transfer is handed over (GXP2200 status 6,
# spelled as the GMI guide spells it) [D S4; C S5].
TRANSFERED = "transfered"


def line_json(phone: SimPhone, line: Line) -> dict[str, Any]:
    """One entry of api-get_line_status in the model's wording [DOC S3; CAP S8]."""
    profile = phone.profile
    idle = line.state is IDLE
    acct: int | str = line.account + profile.acct_base  # [CAP N4; VENDOR-CODE N1]
    if idle:
        acct = "" if profile.idle_acct is AcctStyle.EMPTY else 0
    calls = sum(1 for other in phone.state.lines if other.state is not IDLE)
    focused = not idle and phone.state.focus == line.number
    # 0 on a single call in every capture [CAP N4, S8; VENDOR-CODE N1]; [I] beyond.
    active = 1 if profile.active_shows_focus and focused and calls > 1 else 0
    state = str(line.state)
    if line.transferring and phone.settings.transfer_shows_transfered:
        state = TRANSFERED
    if profile.conf_field:  # WP826 capture order [CAP S8]
        return {
            "line": line.number,
            "conf": int(line.conf),
            "state": state,
            "acct": acct,
            "active": active,
            "remotename": line.remote_name,
            "remotenumber": line.remote_number,
        }
    return {  # documented order [DOC S3]
        "line": line.number,
        "state": state,
        "acct": acct,
        "remotename": line.remote_name,
        "remotenumber": line.remote_number,
        "active": active,
    }


def snapshot(phone: SimPhone) -> list[dict[str, Any]]:
    """Every line as api-get_line_status would show it now."""
    return [line_json(phone, line) for line in phone.state.lines]
