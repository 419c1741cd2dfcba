"""`qz-dbt`: dbt, but it dies with the refresh that started it.

dagster-dbt starts dbt as a child process. If the refresh is killed (SIGKILL, OOM killer), a plain
child would run on as an orphan, writing the warehouse without the writer lock. This wrapper asks
Linux to kill it when its parent dies (PR_SET_PDEATHSIG, kept across exec) and then becomes dbt.
Elsewhere it simply runs dbt.

It also takes the data folder from the Dagster resource as its first argument (`--qz-data-dir=PATH`, dagster-dbt's
`global_config_flags`) and hands it to dbt as QZ_DATA_DIR, which profiles.yml reads: the folder reaches dbt
explicitly, and the refresh's own environment is never changed. On the Spark engine the Thrift endpoint comes the
same way (`--qz-spark-thrift=HOST:PORT`, read by the `spark_thrift` target as QZ_SPARK_THRIFT_HOST and _PORT).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from importlib.metadata import version
from pathlib import Path

from orchestration import settings

PR_SET_PDEATHSIG = 1
DATA_DIR_FLAG = "--qz-data-dir="
SPARK_THRIFT_FLAG = "--qz-spark-thrift="


def data_dir_flag(data_dir) -> str:
    return f"{DATA_DIR_FLAG}{data_dir}"


def spark_thrift_flag(endpoint) -> str:
    return f"{SPARK_THRIFT_FLAG}{endpoint}"


def take_flags(args: list[str], environ) -> list[str]:
    """The leading --qz-* flags into `environ` (this process's, and dbt's after exec); dbt's own arguments."""
    while args and args[0].startswith("--qz-"):
        flag = args.pop(0)
        if flag.startswith(DATA_DIR_FLAG):
            environ[settings.DATA_DIR_ENV] = flag[len(DATA_DIR_FLAG) :]
        elif flag.startswith(SPARK_THRIFT_FLAG):
            host, _, port = flag[len(SPARK_THRIFT_FLAG) :].rpartition(":")
            environ["QZ_SPARK_THRIFT_HOST"], environ["QZ_SPARK_THRIFT_PORT"] = host, port
        else:
            raise SystemExit(f"qz-dbt: unknown flag {flag}")
    return args


def main() -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request took effect
            sys.exit(137)
    args = take_flags(sys.argv[1:], os.environ)
    if args == ["--version"] and (known := installed_version()):
        print(known)  # what dagster-dbt asks before every dbt command: answered without starting dbt (~2 s)
        return
    real = settings.real_dbt_executable()
    os.execv(real, [real, *args])


def installed_version() -> str | None:
    """`dbt --version`'s first line for the dbt-core installed beside this Python, which qz-dbt runs; None when qz-dbt
    runs another dbt (QZ_DBT, or one found on PATH): that one is asked."""
    if settings.real_dbt_executable() != str(Path(sys.executable).with_name("dbt")):
        return None
    return f"Core:\n  - installed: {version('dbt-core')}"


if __name__ == "__main__":
    main()
