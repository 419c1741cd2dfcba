"""`make dev` (the Dagster UI) stops on SIGTERM, what `kill` and service managers send, within seconds and with every
child (webserver, daemon, code servers) — even when started in the background, where SIGINT is ignored and dagster
dev alone would ignore SIGTERM too (orchestration/commands/dev.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from conftest import free_port, wait_for_http

from orchestration.settings import DATA_DIR_ENV, REPO_ROOT

pytestmark = pytest.mark.slow

STARTUP_SECONDS = 180
STOP_SECONDS = 30  # measured about 6 s on 2 cores


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _group_size(pgid: int) -> int:
    return sum(
        1 for line in subprocess.run(["ps", "-eo", "pgid="], capture_output=True, text=True).stdout.split() if int(line) == pgid
    )


def test_make_dev_stops_on_sigterm_with_every_child(tmp_path):
    port, log = free_port(), tmp_path / "dev.log"
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"} | {DATA_DIR_ENV: str(tmp_path / "data")}
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "dev", f"PORT={port}"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: every child it starts is found by the group
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as `make dev &` starts it
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/server_info", make, log, STARTUP_SECONDS, pause=1)
        assert _group_size(make.pid) >= 4  # make, dagster dev, its webserver, daemon and code server
        make.send_signal(signal.SIGTERM)  # to make alone, as `kill PID` does
        sent = time.monotonic()
        while (make.poll() is None or _group_alive(make.pid)) and time.monotonic() - sent < STOP_SECONDS:
            time.sleep(0.2)  # poll() reaps make: a zombie still counts as a member of its group
        stopped_after = time.monotonic() - sent
        print(f"make dev stopped {stopped_after:.1f} s after SIGTERM")
        assert not _group_alive(make.pid), f"still running {STOP_SECONDS} s after SIGTERM"
        text = log.read_text(errors="replace")
        assert "Dagster services shut down" in text
        assert "does not match the name" not in text  # the code location's name is the project's
    finally:
        if _group_alive(make.pid):
            os.killpg(make.pid, signal.SIGKILL)
