"""`qz-dbt`: dbt, but it dies with the refresh that started it.

dagster-dbt starts dbt as a child process. If the refresh is killed (SIGKILL, OOM killer), a plain
child would run on as an orphan, writing the warehouse without the writer lock. This wrapper asks
Linux to kill it when its parent dies (PR_SET_PDEATHSIG, kept across exec) and then becomes dbt.
Elsewhere it simply runs dbt.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

from orchestration import settings

PR_SET_PDEATHSIG = 1


def main() -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request took effect
            sys.exit(137)
    real = settings.real_dbt_executable()
    os.execv(real, [real, *sys.argv[1:]])


if __name__ == "__main__":
    main()
