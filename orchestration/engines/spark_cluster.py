"""A Spark standalone cluster on this machine, as separate processes: `make spark-cluster` / `make spark-cluster-stop`.

    .venv/bin/python -m orchestration.engines.spark_cluster start [--data DIR]   # or: stop, status

One master, two workers (one core each) and the Spark Thrift Server (HiveServer2) running as an application on
that cluster, all started from the installed PySpark package (its bin/spark-class and jars) with the machine's
Java 17: nothing is downloaded. Everything the cluster writes lives under <data>/spark/cluster/:

    cluster.json         the endpoints (Thrift host:port, master URL, web UIs), written once all are up
    pids/<role>.pid      one per process started here; `stop` stops only these (and their executors)
    logs/<role>.log      each process's output
    metastore_db/        the Thrift Server's Hive metastore (Derby)
    warehouse/           its tables (<schema>.db/<table>/*.parquet): the marts the Spark refresh builds
    work/<worker>/       the workers' executor folders

`QZ_ENGINE=spark make run` finds the Thrift endpoint in cluster.json (or in QZ_SPARK_THRIFT=host:port, for a
cluster started elsewhere). Ports default to Spark's own (master 7077, master UI 8080, Thrift 10000, the Thrift
Server's application UI 4040); QZ_SPARK_*_PORT or the flags move them, and a busy port is refused before anything
starts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from orchestration import settings
from orchestration.engines.spark_parity import SparkUnavailableError, check_requirements, spark_dir
from orchestration.store.files import write_text_atomically

HOST = "127.0.0.1"  # loopback only: the cluster is this machine's
WORKERS = 2
WORKER_CORES = 1
WORKER_MEMORY = "1536m"
EXECUTOR_MEMORY = "1g"
THRIFT_DRIVER_MEMORY = "2g"
START_TIMEOUT_SECONDS = 240
STOP_GRACE_SECONDS = 20
STATE_FILE = "cluster.json"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
THRIFT_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
THRIFT_APP_NAME = "quzhou_thrift_server"


class ClusterError(settings.CannotStartError):
    """The cluster could not start, or is not running: the message says why and what to do."""


@dataclass(frozen=True)
class Ports:
    master: int = 7077
    master_ui: int = 8080
    thrift: int = 10000
    thrift_ui: int = 4040
    worker_ui_first: int = 8081  # and the next ones: worker_ui(i)

    @classmethod
    def from_environment(cls) -> Ports:
        return cls(**{name: int(port) for name, port in settings.current().spark_ports.items()})

    def worker_ui(self, i: int) -> int:
        return self.worker_ui_first + i - 1  # worker i counts from 1

    def all(self) -> dict[str, int]:
        workers = {f"worker-{i} UI": self.worker_ui(i) for i in range(1, WORKERS + 1)}
        return {
            "master": self.master,
            "master UI": self.master_ui,
            "Thrift": self.thrift,
            "Thrift Server UI": self.thrift_ui,
            **workers,
        }


@dataclass(frozen=True)
class Cluster:
    """What cluster.json records: where to reach the cluster started for a data folder."""

    master_url: str
    master_ui: str
    thrift_host: str
    thrift_port: int
    thrift_ui: str
    worker_uis: list[str]
    warehouse: str
    started_at: float

    @property
    def thrift(self) -> str:
        return f"{self.thrift_host}:{self.thrift_port}"


def cluster_dir(data: Path) -> Path:
    return spark_dir(data) / "cluster"


def read_cluster(data: Path) -> Cluster | None:
    """The cluster started for this data folder, if its state file says one is up (not checked further)."""
    try:
        return Cluster(**json.loads((cluster_dir(data) / STATE_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def _environment(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOG_DIR": str(folder / "logs"),
        "SPARK_LOCAL_DIRS": str(folder / "tmp"),
        "SPARK_DAEMON_MEMORY": "512m",  # master and workers only schedule; executors get their own memory
        "SPARK_NO_DAEMONIZE": "1",
        "SPARK_LOCAL_IP": HOST,  # every port, web UIs included, on loopback only
        "SPARK_PUBLIC_DNS": HOST,  # and the UIs' links point there too
    }


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((HOST, port)) == 0


def read_json(url: str, timeout: float = 5) -> object:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # loopback http: our own cluster's UI
        return json.load(response)


def _pid_file(folder: Path, role: str) -> Path:
    return folder / "pids" / f"{role}.pid"


def _started_here(folder: Path) -> dict[str, int]:
    """role → pid of the processes this module started for the folder and that are still the same processes."""
    alive = {}
    for pid_file in sorted((folder / "pids").glob("*.pid")):
        role = pid_file.stem
        try:
            pid = int(pid_file.read_text().strip())
            command = _command_line(pid)
        except (OSError, ValueError):
            pid_file.unlink(missing_ok=True)  # gone, or never fully written: nothing of ours runs under it
            continue
        if _ROLE_CLASSES[role.split("-")[0]] in command and str(folder) in command:
            alive[role] = pid
        else:
            pid_file.unlink(missing_ok=True)  # the pid was reused by an unrelated process: never signal it
    return alive


_ROLE_CLASSES = {"master": MASTER_CLASS, "worker": WORKER_CLASS, "thrift": THRIFT_CLASS}


def _command_line(pid: int) -> str:
    """The process's command line; read again once when empty (it is, for a moment, while the launcher scripts
    exec the JVM). Still empty: a kernel thread or a zombie, never one of ours to signal."""
    for _ in range(2):
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        if command:
            return command
        time.sleep(0.2)
    return ""


def _launch(folder: Path, role: str, command: list[str]) -> subprocess.Popen:
    log = (folder / "logs" / f"{role}.log").open("ab")
    # A session of its own: the process outlives `make spark-cluster`, and `stop` signals its whole group (a
    # worker's executors are its children).
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_environment(folder), start_new_session=True
    )
    log.close()
    write_text_atomically(_pid_file(folder, role), str(process.pid))
    return process


def _wait(what: str, ready, launched: dict[str, subprocess.Popen], folder: Path, deadline: float) -> None:
    """Until ready(): a process started so far that exits meanwhile, or the deadline, stops the start with the log of
    that process (of the last one started, at the deadline)."""
    while not ready():
        for role, process in launched.items():
            if process.poll() is not None:
                raise ClusterError(
                    f"{role} stopped while waiting for the {what} (exit {process.returncode}):\n{_log_tail(folder, role)}"
                )
        if time.monotonic() > deadline:
            last = list(launched)[-1]
            raise ClusterError(f"the {what} did not come up within {START_TIMEOUT_SECONDS} s:\n{_log_tail(folder, last)}")
        time.sleep(1)


def _log_tail(folder: Path, role: str, lines: int = 25) -> str:
    path = folder / "logs" / f"{role}.log"
    text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else ["(no log)"]
    return f"  last lines of {path}:\n" + "\n".join(f"    {line}" for line in text)


def _master_state(ports: Ports) -> dict:
    try:
        state = read_json(f"http://{HOST}:{ports.master_ui}/json/")
    except OSError:
        return {}
    return state if isinstance(state, dict) else {}


def start(data: Path, ports: Ports | None = None) -> Cluster:
    """Start master, workers and Thrift Server for the data folder, wait until each is up, write cluster.json."""
    check_requirements()
    ports = ports or Ports.from_environment()
    folder = cluster_dir(data)
    running = _started_here(folder)
    if running:
        cluster = read_cluster(data)
        if cluster is not None and len(running) == WORKERS + 2:
            return cluster
        raise ClusterError(
            f"part of a cluster is running for {data} ({', '.join(sorted(running))}): make spark-cluster-stop first"
        )
    busy = [f"{name} port {port}" for name, port in ports.all().items() if not _port_free(port)]
    if busy:
        raise ClusterError(f"in use by another process: {', '.join(busy)} (set QZ_SPARK_<NAME>_PORT to move it)")
    for sub in ("logs", "pids", "tmp", "work", "warehouse"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / STATE_FILE).unlink(missing_ok=True)
    spark_class = str(spark_home() / "bin" / "spark-class")
    master_url = f"spark://{HOST}:{ports.master}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    properties = str(_properties(folder))
    launched: dict[str, subprocess.Popen] = {}
    try:
        master = [spark_class, MASTER_CLASS, "--host", HOST, "--port", str(ports.master)]
        launched["master"] = _launch(
            folder, "master", [*master, "--webui-port", str(ports.master_ui), "--properties-file", properties]
        )
        _wait("master", lambda: bool(_master_state(ports)), launched, folder, deadline)
        for i in range(1, WORKERS + 1):
            work = folder / "work" / f"worker-{i}"
            work.mkdir(parents=True, exist_ok=True)
            worker = [spark_class, WORKER_CLASS, "--host", HOST, "--cores", str(WORKER_CORES), "--memory", WORKER_MEMORY]
            worker += ["--webui-port", str(ports.worker_ui(i)), "--work-dir", str(work), "--properties-file", properties]
            launched[f"worker-{i}"] = _launch(folder, f"worker-{i}", [*worker, master_url])

        def workers_alive() -> bool:
            return sum(w.get("state") == "ALIVE" for w in _master_state(ports).get("workers", [])) >= WORKERS

        _wait(f"{WORKERS} workers", workers_alive, launched, folder, deadline)
        launched["thrift"] = _launch(folder, "thrift", _thrift_command(folder, master_url, ports))
        _wait("Thrift Server", lambda: _port_open(ports.thrift), launched, folder, deadline)

        def executors_granted() -> bool:
            apps = [a for a in _master_state(ports).get("activeapps", []) if a.get("name") == THRIFT_APP_NAME]
            return bool(apps) and apps[0].get("cores", 0) >= WORKERS * WORKER_CORES

        _wait("Thrift Server's executors", executors_granted, launched, folder, deadline)
    except BaseException:
        stop(data)
        raise
    cluster = Cluster(
        master_url=master_url,
        master_ui=f"http://{HOST}:{ports.master_ui}",
        thrift_host=HOST,
        thrift_port=ports.thrift,
        thrift_ui=f"http://{HOST}:{ports.thrift_ui}",
        worker_uis=[f"http://{HOST}:{ports.worker_ui(i)}" for i in range(1, WORKERS + 1)],
        warehouse=str(folder / "warehouse"),
        started_at=time.time(),
    )
    write_text_atomically(folder / STATE_FILE, json.dumps(asdict(cluster), indent=2))
    return cluster


def _properties(folder: Path) -> Path:
    """Spark's properties for the master and workers: executors clean up after themselves."""
    path = folder / "spark-daemons.conf"
    path.write_text(
        f"spark.worker.cleanup.enabled true\nspark.local.dir {folder / 'tmp'}\n",
        encoding="utf-8",
    )
    return path


def _thrift_command(folder: Path, master_url: str, ports: Ports) -> list[str]:
    derby = folder / "metastore_db"
    conf = {
        "spark.app.name": THRIFT_APP_NAME,
        "spark.cores.max": str(WORKERS * WORKER_CORES),
        "spark.executor.cores": str(WORKER_CORES),  # one executor per worker
        "spark.executor.memory": EXECUTOR_MEMORY,
        "spark.driver.memory": THRIFT_DRIVER_MEMORY,
        "spark.ui.port": str(ports.thrift_ui),
        "spark.driver.host": HOST,
        "spark.driver.bindAddress": HOST,
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={derby};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",
        "spark.local.dir": str(folder / "tmp"),
    }
    command = [str(spark_home() / "bin" / "spark-submit"), "--class", THRIFT_CLASS, "--master", master_url]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    return [
        *command,
        "spark-internal",
        "--hiveconf",
        f"hive.server2.thrift.port={ports.thrift}",
        "--hiveconf",
        f"hive.server2.thrift.bind.host={HOST}",
    ]


def stop(data: Path) -> list[str]:
    """Stop the processes started for this data folder (their pid files say which), Thrift Server first; the roles stopped."""
    folder = cluster_dir(data)
    (folder / STATE_FILE).unlink(missing_ok=True)
    running = _started_here(folder)
    order = sorted(running, key=lambda role: ("thrift", "worker", "master").index(role.split("-")[0]))
    for role in order:
        _signal_group(running[role], signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while time.monotonic() < deadline and any(_alive(pid) for pid in running.values()):
        time.sleep(0.5)
    for role in order:
        if _alive(running[role]):
            _signal_group(running[role], signal.SIGKILL)
        _pid_file(folder, role).unlink(missing_ok=True)
    return order


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)  # the process leads its own session (start_new_session): its executors too


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def describe(cluster: Cluster) -> str:
    return "\n".join(
        [
            "Spark standalone cluster up:",
            f"  master            {cluster.master_url}",
            f"  master UI         {cluster.master_ui}",
            f"  workers           {WORKERS} × {WORKER_CORES} core ({', '.join(cluster.worker_uis)})",
            f"  Thrift (HiveServer2) {cluster.thrift}   (dbt target spark_thrift; beeline -u jdbc:hive2://{cluster.thrift})",
            f"  Thrift Server UI  {cluster.thrift_ui}",
            f"  warehouse         {cluster.warehouse}",
            "  refresh on it:    QZ_ENGINE=spark make run      stop it: make spark-cluster-stop",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("--data", type=Path, default=None, help="the data folder (default: QZ_DATA_DIR or ./data)")
    args = parser.parse_args(argv)
    data = (args.data or settings.data_dir()).resolve()
    if args.action == "stop":
        stopped = stop(data)
        print(f"stopped {', '.join(stopped)}" if stopped else f"no Spark cluster of ours was running for {data}")
        return 0
    if args.action == "status":
        cluster, running = read_cluster(data), _started_here(cluster_dir(data))
        print(describe(cluster) if cluster and running else f"no Spark cluster running for {data}")
        return 0 if cluster and running else 1
    try:
        cluster = start(data)
    except (SparkUnavailableError, ClusterError) as exc:
        print(f"Spark cluster FAILED to start: {exc}", file=sys.stderr)
        return 2
    print(describe(cluster))
    return 0


if __name__ == "__main__":
    sys.exit(main())
