import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration import settings
from orchestration.dbt_tools.manifest import prepare_manifest
from orchestration.settings import SETTLE_SECONDS_ENV

# Tests write a file and refresh at once: no settle time, except where a test sets one (test_torn_reads.py).
# Child refreshes (refresh_process) inherit it.
os.environ[SETTLE_SECONDS_ENV] = "0"
# The code location is built from the dbt manifest, which `make` prepares before a command; pytest run by hand
# prepares it here, before any test module imports the code location.
prepare_manifest()

REPO_RAW = settings.REPO_ROOT / "raw"
# The marts a refresh publishes (schema marts, one Parquet file each in the serving copy).
MARTS = [
    "dim_breakdown",
    "dim_indicator",
    "dim_region",
    "dim_source",
    "fct_missing_figure",
    "fct_observation",
    "fct_observation_vintage",
    "fct_target",
    "mart_decade_change",
    "mart_indicator_progress",
]


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A private copy of raw/ that a test may add bad files to."""
    target = tmp_path / "raw"
    shutil.copytree(REPO_RAW, target)
    return target


@pytest.fixture(scope="module")
def restore_environ():
    """A refresh run without an instance of its own points DAGSTER_HOME at its data folder; keep that out of other
    tests. (The data folder reaches dbt as an argument of qz-dbt, not through this process's environment.)"""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


OBS_HEADER = "region_code,indicator_code,period,value,unit,value_type,obs_status,qualifier,as_published,source_id,note\n"


def publishing_in_2099(monkeypatch) -> None:
    """The publisher's clock set years ahead (until monkeypatch.undo() or the test's end)."""
    import orchestration.publish.serving as serving

    real = serving.datetime

    class Ahead(real):
        @classmethod
        def now(cls, tz=None):
            return real(2099, 1, 1, tzinfo=tz)

    monkeypatch.setattr(serving, "datetime", Ahead)


def free_port() -> int:
    """A TCP port free on the loopback now, for a server a test starts."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process, log: Path, seconds: float, pause: float = 0.5) -> None:
    """Until `url` answers 200, while the server's `process` is still up; fails with the end of its log."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(pause)


def stop_process_group(process: subprocess.Popen, grace: float = 30) -> None:
    """SIGTERM to the server's whole process group, then SIGKILL if it outlives `grace` seconds: a test's own server
    (a request thread still open, a worker mid-run) is killed rather than failing the run in teardown."""
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


def append_catalogue_rows(path: Path, *lines: str) -> None:
    """Rows added to a catalogue file, each given its trailing optional columns (blank) up to the file's header: a
    catalogue gains optional columns over time, and a test's row need not name them."""
    text = path.read_text(encoding="utf-8")
    width = len(next(csv.reader([text.split("\n", 1)[0]])))
    padded = [line + "," * (width - len(next(csv.reader([line])))) for line in lines if line.strip()]
    path.write_text(text.rstrip("\n") + "\n" + "".join(line + "\n" for line in padded), encoding="utf-8")


def write_obs(raw: Path, name: str, *rows: str) -> Path:
    path = raw / "observations" / name
    path.write_text(OBS_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's headless Chromium (and CJK fonts), installed here when missing; skipped only where that fails."""
    import fcntl
    import subprocess
    import tempfile

    path = shutil.which("chromium")
    if path is None and shutil.which("apt-get") and os.geteuid() == 0:
        # One installation at a time: the test workers (pytest-xdist) may each ask at once, and apt allows one.
        with open(Path(tempfile.gettempdir()) / "qz-tests-chromium.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if shutil.which("chromium") is None:
                env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
                for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"]):
                    subprocess.run(command, env=env, capture_output=True, timeout=900, check=False)
        path = shutil.which("chromium")
    if path is None:
        pytest.skip("chromium is not installed and could not be installed with apt-get here")
    return path


def chromium_command(binary: str, profile: Path, *args: str) -> list[str]:
    # No background networking: there is no network here, and the report must not need any.
    return [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        f"--user-data-dir={profile}",
        *args,
    ]


def refresh_process(data: Path, raw: Path, extra_env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    """`python -m orchestration.commands.refresh` in a child process, as `make run` starts it, on the given folders (and with
    `extra_env`, e.g. QZ_ENGINE)."""
    env = {**os.environ, settings.DATA_DIR_ENV: str(data), settings.RAW_DIR_ENV: str(raw), **(extra_env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.commands.refresh"],
        cwd=settings.REPO_ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )
