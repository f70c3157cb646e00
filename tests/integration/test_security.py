"""Bearer-token auth, TLS and mTLS on a real server, and the public-bind warning."""

import shutil
import subprocess
import sys

import grpc
import pytest

from grader.client import GraderClient
from grader.security import is_loopback
from servers import Server

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def auth_server():
    srv = Server("--auth-token", TOKEN)
    yield srv
    assert srv.stop() == 0


def test_right_token_grades(auth_server):
    with GraderClient(auth_server.target, token=TOKEN, retries=0) as c:
        assert c.grade(r"\boxed{4}", "4").correct


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x", ""])
def test_missing_or_wrong_token_is_unauthenticated(auth_server, token):
    with GraderClient(auth_server.target, token=token, retries=0) as c, pytest.raises(grpc.RpcError) as err:
        c.grade("1", "1")
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_streaming_needs_the_token_too(auth_server):
    from grader.client import build_request
    from grader.v1 import grader_pb2_grpc as pb_grpc

    with grpc.insecure_channel(auth_server.target) as ch:
        replies = pb_grpc.GraderStub(ch).GradeStream(iter([build_request([{"response": "1", "reference": "1"}])]),
                                                     timeout=10)
        with pytest.raises(grpc.RpcError) as err:
            list(replies)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_health_stays_open_without_token(auth_server):
    assert auth_server.health() == "SERVING"


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("certs")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
             "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"))
    for name in ("server", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                 "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.csr"))
        ext = d / f"{name}.ext"
        ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        _openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.pem"), "-CAkey", str(d / "ca.key"),
                 "-CAcreateserial", "-days", "1", "-extfile", str(ext), "-out", str(d / f"{name}.pem"))
    return d


def test_tls(certs):
    srv = Server("--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key"),
                 health_ca=str(certs / "ca.pem"))
    try:
        with GraderClient(srv.target, tls_ca=str(certs / "ca.pem"), retries=0) as c:
            assert c.grade(r"\boxed{4}", "4").correct
        with GraderClient(srv.target, retries=0, timeout=3) as plain, pytest.raises(grpc.RpcError):
            plain.grade("1", "1")  # plaintext against a TLS port
        health = subprocess.run([sys.executable, "-m", "grader", "health", "--target", srv.target,
                                 "--tls-ca", str(certs / "ca.pem")], capture_output=True, text=True, timeout=30)
        assert health.returncode == 0, health.stderr
    finally:
        assert srv.stop() == 0


def test_mtls_requires_a_client_certificate(certs):
    srv = Server("--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key"),
                 "--tls-client-ca", str(certs / "ca.pem"), health_ca=str(certs / "ca.pem"),
                 health_cert=(str(certs / "client.pem"), str(certs / "client.key")))
    try:
        with GraderClient(srv.target, tls_ca=str(certs / "ca.pem"), tls_cert=str(certs / "client.pem"),
                          tls_key=str(certs / "client.key"), retries=0) as c:
            assert c.grade(r"\boxed{4}", "4").correct
        with GraderClient(srv.target, tls_ca=str(certs / "ca.pem"), retries=0, timeout=3) as anon:
            with pytest.raises(grpc.RpcError) as err:
                anon.grade("1", "1")
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        assert srv.stop() == 0


def test_public_bind_without_auth_warns():
    srv = Server("--host", "0.0.0.0")
    try:
        assert any('"event": "exposed"' in line for line in srv.log)
    finally:
        assert srv.stop() == 0


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3") and not is_loopback("example.org")
