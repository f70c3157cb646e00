"""The unit tier: no subprocesses and no model. Plans that would escalate to a killable
worker run on the calling thread instead (every unit test grades trusted items, so
no budget is needed); a test that starts a process fails."""

import subprocess

import pytest

import grader.pipeline


class InlinePool:
    """The worker pool's interface, run on the calling thread, without a time limit."""

    max_workers = 2

    def run(self, fn, args, timeout):
        return fn(*args)


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch):
    monkeypatch.setattr(grader.pipeline, "_default_pool", InlinePool())

    def refuse(*args, **kwargs):
        raise AssertionError("unit tests start no processes; this test belongs in tests/integration")

    monkeypatch.setattr(subprocess, "Popen", refuse)
