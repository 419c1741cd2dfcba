"""The Dagster instance `make run` and `make dev` share: <data>/dagster_home/dagster.yaml, written before either
starts (a module of its own, so that `make dev` need not import the code location to write it)."""

from __future__ import annotations

from pathlib import Path

DAGSTER_YAML = """# Written by orchestration/commands/dagster_home.py. No network at run time.
telemetry:
  enabled: false
# No "join the community" sign-up dialog over the UI (it offers a newsletter form): operators open the runs.
nux:
  enabled: false
# One refresh at a time: runs requested by the schedule or the sensor queue behind each other.
concurrency:
  runs:
    max_concurrent_runs: 1
# The daemon marks runs whose worker died (killed, machine restarted) as failed instead of leaving them
# STARTED, which would hold the one concurrency slot forever.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_resume_run_attempts: 0
"""


def prepare_dagster_home(data_dir: Path) -> Path:
    home = data_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    return home
