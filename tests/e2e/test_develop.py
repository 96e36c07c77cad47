"""`scripts/develop` twice on one configuration folder: set up once, then reused.

The same code as `scripts/develop`, on free ports and a temporary folder instead of
8123/8701/8702 and config/ (and the frontend's empty stand-in, for a quicker start).
"""

from contextlib import AsyncExitStack
import json
from pathlib import Path
from typing import Any

import pytest

from scripts.dev_hass import free_port
from scripts.dev_phone import DevPhone, read_state
from scripts.dev_run import DASHBOARD_URL, DevInstance, start

from .conftest import LoopThread

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, int, list[DevPhone]]:
    """Return a configuration folder and ports kept across both runs."""
    phones = [
        DevPhone("gxp1165", "GXP1165", free_port(), "00:0B:82:E2:E1:65"),
        DevPhone("gxp2170", "GXP2170", free_port(), "00:0B:82:E2:E2:70"),
    ]
    return tmp_path_factory.mktemp("develop") / "config", free_port(), phones


def _run(
    e2e_loop: LoopThread, setup: tuple[Path, int, list[DevPhone]]
) -> tuple[DevInstance, dict[str, Any]]:
    """Start the instance, collect what a check needs, stop it again."""
    config_dir, port, phones = setup

    async def once() -> tuple[DevInstance, dict[str, Any]]:
        async with AsyncExitStack() as stack:
            dev = await start(
                stack, config_dir=config_dir, port=port, phones=phones, frontend=False
            )
            dashboards = await dev.ha.ws_command({"type": "lovelace/dashboards/list"})
            seen = {
                "titles": sorted(e["title"] for e in await dev.ha.entries()),
                "dashboards": [d["url_path"] for d in dashboards],
                "action_urls": {
                    name: dict(sim.phone.settings.action_urls)
                    for name, sim in dev.sims.items()
                },
            }
            return dev, seen

    return e2e_loop.run(once())


def test_first_run_onboards_and_adds_both_phones(
    e2e_loop: LoopThread,
    setup: tuple[Path, int, list[DevPhone]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A fresh folder: the dev user, both phones, push wired up, the dashboard."""
    dev, seen = _run(e2e_loop, setup)
    out = capsys.readouterr().out
    assert "gxp1165: added (GXP1165 1001)" in out
    assert "gxp2170: added (GXP2170 1001)" in out
    assert seen["titles"] == ["GXP1165 1001", "GXP2170 1001"]
    assert DASHBOARD_URL in seen["dashboards"]
    urls = seen["action_urls"]
    assert isinstance(urls, dict)
    assert urls["gxp1165"] == {}  # the GXP1165 has no Action URLs
    assert f"127.0.0.1:{dev.ha.port}/api/webhook/" in urls["gxp2170"]["incoming_call"]
    config_dir, _, phones = setup
    assert read_state(config_dir / "gxp_simulators.json") == phones
    assert (config_dir / "custom_components" / "grandstream_gxp").is_symlink()


def test_second_run_logs_in_and_reuses_the_entries(
    e2e_loop: LoopThread,
    setup: tuple[Path, int, list[DevPhone]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same folder again: logs in as the dev user and adds nothing twice."""
    config_dir, _, _ = setup
    before = json.loads((config_dir / ".storage" / "core.config_entries").read_text())
    dev, seen = _run(e2e_loop, setup)
    out = capsys.readouterr().out
    assert "gxp1165: already configured" in out
    assert "gxp2170: already configured" in out
    assert "added" not in out
    assert seen["titles"] == ["GXP1165 1001", "GXP2170 1001"]
    ids = sorted(
        e["entry_id"]
        for e in before["data"]["entries"]
        if e["domain"] == "grandstream_gxp"
    )
    assert len(ids) == 2
    assert sorted(dev.entries.values()) == ids
    assert dev.ha.token
