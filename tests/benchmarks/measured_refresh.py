"""Run one refresh (as `make run` does) and write its wall time and peak memory to a JSON file.

    python -m tests.benchmarks.measured_refresh <result.json>

Peak memory is the larger of this process's and its children's (dbt) maximum resident set size.
"""

import json
import resource
import sys
import time

from orchestration.commands.refresh import run_refresh
from tests.benchmarks.peak_memory import own_peak_mib


def main(result_file: str) -> int:
    started = time.perf_counter()
    summary = run_refresh()
    seconds = time.perf_counter() - started
    # dbt's ru_maxrss counts this process's peak at the time it started (Linux carries it over fork): the larger
    peak_mib = max(own_peak_mib(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    with open(result_file, "w", encoding="utf-8") as out:
        json.dump(
            {
                "seconds": seconds,
                "peak_mib": peak_mib,
                "success": summary.success,
                "files": summary.files,
                "failures": summary.failures,
                "steps": summary.step_seconds,
                "unchanged": summary.unchanged,
            },
            out,
        )
    return 0 if summary.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
