"""`make dev`: the Dagster UI on this project's code location and data folder, stopped by Ctrl-C or SIGTERM within
seconds, every child included.

dagster dev turns SIGTERM into its Ctrl-C shutdown (webserver, daemon, code servers), but only when SIGINT is not
ignored: a command started in the background (`make dev &`, nohup, some service managers) inherits an ignored SIGINT,
and dagster dev then ignores SIGTERM too, leaving all its processes up. And make passes SIGTERM to the shell running
its recipe, which dies without passing it on. So this restores SIGINT's default disposition and replaces itself with
dagster dev (exec: the process make signals is dagster dev itself).

    python -m orchestration.commands.dev [--port 3000]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from orchestration import settings
from orchestration.commands.dagster_home import prepare_dagster_home


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", default="3000")
    args = parser.parse_args(argv)
    os.environ["DAGSTER_HOME"] = str(prepare_dagster_home(settings.data_dir()))
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # kept across exec; an ignored SIGINT would be kept too
    # From the repository's root, dagster dev reads [tool.dagster] of pyproject.toml: the module and the code
    # location's name (quzhou_indicators, the name [tool.dg.project] gives it too, so Dagster warns of no mismatch).
    os.chdir(settings.REPO_ROOT)
    # dagster-dbt parses the dbt project again whenever dagster dev loads the code location (DbtProject.prepare_if_dev)
    # with the `dbt` on PATH: this venv's, whether or not it is activated.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    dagster = str(Path(sys.executable).parent / "dagster")
    os.execv(dagster, [dagster, "dev", "--port", str(args.port)])


if __name__ == "__main__":
    main()
