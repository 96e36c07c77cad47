"""A simulated Grandstream desk phone answering the CTI HTTP API.

Start one in a test::

    async with SimulatedPhone.start(model="GXP1165", password="admin") as sim:
        ...  # sim.base_url, sim.phone (state, settings, faults, far ends, request log)
"""

from .farend import FarEnd, FarEndScript
from .faults import Faults
from .harness import SimulatedPhone
from .phone import SimPhone
from .profiles import PROFILES, ModelProfile, get_profile
from .settings import AccountConfig, PhoneSettings
from .state import CallState, LineState

__all__ = [
    "PROFILES",
    "AccountConfig",
    "CallState",
    "FarEnd",
    "FarEndScript",
    "Faults",
    "LineState",
    "ModelProfile",
    "PhoneSettings",
    "SimPhone",
    "SimulatedPhone",
    "get_profile",
]
