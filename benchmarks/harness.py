"""What the benchmark scripts share: a ``grader serve`` child on a free loopback
port (start, wait until SERVING, stop with SIGTERM), /proc sampling (CPU
seconds, RSS, child processes, system-wide busy time), percentiles, the
machine's description and Markdown tables.

The scripts run as ``python benchmarks/X.py`` and put their own folder first on
sys.path (as they do for ``workload``), so they ``import harness`` as a sibling.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Callable, Iterable, Sequence

HOST = "127.0.0.1"  # loopback only, always
CLK_TCK = os.sysconf("SC_CLK_TCK")
CHANNEL_OPTIONS = [
    ("grpc.use_local_subchannel_pool", 1),  # one TCP connection per client, not one shared
    ("grpc.max_receive_message_length", 256 * 1024 * 1024),  # 64-item batches of 1 MB responses
    ("grpc.max_send_message_length", 256 * 1024 * 1024),
]

# grpc is imported inside the server functions only: compare_mathverify's timed child
# processes import this module and never talk gRPC.


# --------------------------------------------------------------------------- server

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def grader_exe() -> list[str]:
    """The venv's ``grader`` script, or this interpreter's ``-m grader`` (same code either way)."""
    exe = Path(sys.executable).with_name("grader")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "grader"]


def health_status(target: str) -> str:
    """The server's health status name, or DOWN when it does not answer within 1 s."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        with grpc.insecure_channel(target) as ch:
            reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    except grpc.RpcError:
        return "DOWN"


def wait_healthy(target: str, proc: subprocess.Popen, timeout: float) -> float:
    """Seconds until the server reports SERVING; raises if it exits or times out first."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was healthy")
        if health_status(target) == "SERVING":
            return time.monotonic() - t0
        time.sleep(0.2)
    raise RuntimeError(f"server not SERVING after {timeout:g} s")


class Server:
    """``grader serve --host HOST --port PORT *serve_args`` with stdout and stderr in one log file."""

    def __init__(self, serve_args: Sequence[str], port: int, *, log_path: str | None = None,
                 env: dict[str, str] | None = None, cwd: str | None = None) -> None:
        self.target = f"{HOST}:{port}"
        self.command = [*grader_exe(), "serve", "--host", HOST, "--port", str(port), *serve_args]
        # Read back after the run (startup line, warnings); kept only when the caller names a file.
        self.log: IO[bytes] = open(log_path, "w+b") if log_path else tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     env=env, cwd=cwd)

    def wait_healthy(self, timeout: float) -> float:
        return wait_healthy(self.target, self.proc, timeout)

    def log_lines(self) -> list[str]:
        """The log so far; reading to the end leaves the offset the server shares with us at the end."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace").splitlines()

    def stop(self, timeout: float) -> tuple[int, float, bool]:
        """SIGTERM, then SIGKILL after timeout s: (exit code, seconds it took, whether it was killed)."""
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout), time.monotonic() - t0, False
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(), time.monotonic() - t0, True


def arm_hard_limit(seconds: int, message: str, cleanup: Callable[[], None]) -> None:
    """After `seconds`, whatever hangs: print message, clean up, exit 3 (signal.alarm(0) disarms)."""
    def fire(signum: int, frame: object) -> None:
        print(message, file=sys.stderr)
        cleanup()
        os._exit(3)

    signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)


# --------------------------------------------------------------------------- /proc

def proc_cpu_s(pid: int, tid: int | None = None) -> float:
    """utime + stime of a process (or one of its threads), in seconds; 0 when it is gone."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    try:
        with open(path) as f:
            data = f.read()
    except OSError:
        return 0.0
    fields = data[data.rindex(")") + 2:].split()  # the command name may hold spaces and parentheses
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children(pid: int) -> list[int]:
    """Direct children of every thread of pid (a worker may be started from any thread)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def status_field(pid: int, key: str) -> int | None:
    """The first number of a /proc/PID/status line ("VmRSS", "PPid"); None when absent or gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_kb(pid: int) -> int | None:
    return status_field(pid, "VmRSS")


def system_busy_s() -> dict[str, float]:
    """Busy seconds since boot per /proc/stat line ("cpu" is all cores, "cpu0", … each one)."""
    busy = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            name, *vals = line.split()
            ticks = [int(x) for x in vals[:8]]  # user nice system idle iowait irq softirq steal
            busy[name] = (sum(ticks) - ticks[3] - ticks[4]) / CLK_TCK
    return busy


# --------------------------------------------------------------------------- figures

def percentile(values: Iterable[float], p: float, *, half_up: bool = False) -> float | None:
    """Nearest-rank percentile (p from 0 to 100), None for no values. half_up takes the rank of
    p/100*n + 0.5, the rule compare_mathverify's published figures use (kept so they stay comparable)."""
    s = sorted(values)
    if not s:
        return None
    rank = int(round(p / 100 * len(s) + (0.5 if half_up else 0.0)))
    return s[min(len(s) - 1, max(0, rank - 1))]


def percentile_ms(seconds: Iterable[float], p: float, digits: int) -> float | None:
    """percentile() of latencies in seconds, as rounded milliseconds."""
    v = percentile(seconds, p)
    return None if v is None else round(v * 1000, digits)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def nproc() -> int | None:
    """Cores this process may use (nproc honours the affinity mask, os.cpu_count does not)."""
    out = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return int(out) if out.isdigit() else os.cpu_count()


def machine_info(with_grpc: bool = False) -> dict:
    """The machine a result came from; with_grpc for the scripts that measure through gRPC."""
    info: dict = {"nproc": nproc(), "cpu_model": cpu_model(), "python": platform.python_version()}
    if with_grpc:
        import grpc

        info["grpcio"] = grpc.__version__
    return info | {"platform": platform.platform()}


def md_row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def md_table(header: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> list[str]:
    """The lines of a Markdown table; align holds a letter per column, "r" right-aligns it (---:)."""
    rule = "|" + "|".join("---:" if a == "r" else "---" for a in (align or "l" * len(header))) + "|"
    return [md_row(header), rule, *(md_row(r) for r in rows)]
