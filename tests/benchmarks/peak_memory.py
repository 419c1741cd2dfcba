"""The peak resident memory of this process alone, in MiB.

Not getrusage's ru_maxrss: Linux carries it over fork and exec, so a child started by a large benchmark process
reports the parent's peak as its own (a 1.3 M-row ingest read 3,089 MiB after the benchmark had validated 10^6
rows, 1,701 MiB on its own). /proc/self/status's VmHWM belongs to the process's own address space.
"""

from __future__ import annotations

import resource
from pathlib import Path


def own_peak_mib() -> float:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # elsewhere: the best there is
