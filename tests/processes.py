"""Processes a test looks for in /proc: by a marker in their command line, or by pid."""

from __future__ import annotations

import os
import time
from typing import Callable, TypeVar

T = TypeVar("T")


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may not reap what it inherits)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def settled(check: Callable[[], T], seconds: float) -> T:
    """``check()`` as soon as it is falsy, else its value after ``seconds``."""
    deadline = time.monotonic() + seconds
    while (value := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


def assert_no_process_left(marker: str, seconds: float = 3.0) -> None:
    left = settled(lambda: processes_with(marker), seconds)
    assert not left, f"processes outlived what ran them: {left}"


def assert_exits(pid: int, seconds: float = 5.0) -> None:
    assert not settled(lambda: running(pid), seconds), f"process {pid} still runs"
