"""Many servers behind one name (deploy/k8s): the client's round robin over a target's addresses, and
`grader serve --max-connection-age`, which makes clients reconnect so that new replicas get traffic."""

import threading
import time
from concurrent import futures

import grpc
import pytest

from grader.client import GraderClient, open_channel
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from servers import Server


class CountingGrader(pb_grpc.GraderServicer):
    """A stand-in replica that counts the ListVerifiers and Grade calls it answers."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def ListVerifiers(self, request, context):
        with self._lock:
            self.calls += 1
        return pb.ListVerifiersResponse()

    def Grade(self, request, context):
        with self._lock:
            self.calls += 1
        return pb.GradeResponse(results=[pb.GradeResult(id=item.id, reward=1.0, score=1.0, correct=True)
                                         for item in request.items])


@pytest.fixture
def two_replicas():
    replicas, servers, ports = [CountingGrader(), CountingGrader()], [], []
    for replica in replicas:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        pb_grpc.add_GraderServicer_to_server(replica, server)
        ports.append(server.add_insecure_port("127.0.0.1:0"))
        server.start()
        servers.append(server)
    # One target resolving to both addresses, as a headless Service's DNS name resolves to every pod.
    yield f"ipv4:127.0.0.1:{ports[0]},127.0.0.1:{ports[1]}", replicas
    for server in servers:
        server.stop(grace=None)


def test_round_robin_spreads_one_target_over_its_addresses(two_replicas):
    target, replicas = two_replicas
    with GraderClient(target, lb_policy="round_robin", timeout=10) as client:
        for _ in range(20):
            client.list_verifiers()
    # Both get calls (pick_first would leave one at 0); calls made before the second connection is
    # READY go to the first, so the split is near, not exactly, even.
    assert sum(r.calls for r in replicas) == 20 and min(r.calls for r in replicas) >= 5


def test_default_policy_sends_everything_to_one_address(two_replicas):
    target, replicas = two_replicas
    with GraderClient(target, timeout=10) as client:
        for _ in range(20):
            client.list_verifiers()
    assert sorted(r.calls for r in replicas) == [0, 20]


def test_the_trainer_adapters_take_the_policy_from_the_environment(two_replicas, monkeypatch):
    """The adapters have no flags: GRADER_LB_POLICY spreads their calls as lb_policy does the client's."""
    from grader.integrations.backend import Backend

    target, replicas = two_replicas
    monkeypatch.setenv("GRADER_LB_POLICY", "round_robin")
    backend = Backend(target, timeout=10)
    for _ in range(20):
        assert [r.correct for r in backend.grade([{"response": "1", "reference": "1"}])] == [True]
    assert sum(r.calls for r in replicas) == 20 and min(r.calls for r in replicas) >= 5


def test_unknown_lb_policy_is_refused():
    with pytest.raises(ValueError, match="lb_policy"):
        GraderClient("127.0.0.1:1", lb_policy="least_loaded")


def _ready_then_dropped(target: str, seconds: float) -> bool:
    """Whether an idle, connected channel leaves READY within ``seconds`` with no call of ours."""
    states: list[grpc.ChannelConnectivity] = []
    with open_channel(target) as channel:
        pb_grpc.GraderStub(channel).ListVerifiers(pb.ListVerifiersRequest(), timeout=10)
        channel.subscribe(states.append, try_to_connect=False)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if grpc.ChannelConnectivity.READY in states and states[-1] != grpc.ChannelConnectivity.READY:
                return True
            time.sleep(0.05)
    return False


def test_max_connection_age_makes_clients_reconnect():
    server = Server("--max-connection-age", "1", "--workers", "1")
    try:
        # The server sends GOAWAY about a second in (gRPC adds +-10% jitter); the channel goes IDLE and
        # its next call resolves and connects again, reaching any replica started since.
        assert _ready_then_dropped(server.target, seconds=10)
        with GraderClient(server.target, timeout=10) as client:
            assert client.list_verifiers().verifiers
    finally:
        assert server.stop() == 0
