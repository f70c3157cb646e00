"""`grader serve --max-connection-age` (GRADER_MAX_CONNECTION_AGE): from flag or environment to gRPC's arguments."""

import dataclasses

import pytest

from grader.cli import build_parser
from grader.server_config import ServerConfig


def config_from(argv: list[str]) -> ServerConfig:
    args = build_parser().parse_args(["serve", *argv])
    return ServerConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(ServerConfig)
                           if hasattr(args, f.name)})


def test_max_connection_age_becomes_grpc_connection_ageing():
    options = dict(config_from(["--max-connection-age", "300", "--drain-timeout", "20"]).grpc_options())
    assert options["grpc.max_connection_age_ms"] == 300_000
    assert options["grpc.max_connection_age_grace_ms"] == 20_000  # calls in flight get the drain budget


def test_max_connection_age_from_the_environment(monkeypatch):
    monkeypatch.setenv("GRADER_MAX_CONNECTION_AGE", "2.5")
    assert dict(config_from([]).grpc_options())["grpc.max_connection_age_ms"] == 2_500


def test_connections_do_not_age_by_default():
    options = dict(config_from([]).grpc_options())
    assert "grpc.max_connection_age_ms" not in options
    assert options["grpc.max_receive_message_length"] == ServerConfig().max_message_bytes


def test_negative_max_connection_age_is_refused():
    with pytest.raises(ValueError, match="--max-connection-age"):
        config_from(["--max-connection-age", "-1"]).validate()


def test_judge_max_batch_from_flag_or_environment(monkeypatch):
    assert config_from([]).judge_max_batch == 0  # by device: 128 on a GPU, 16 on a CPU
    assert config_from(["--judge-max-batch", "256"]).judge_max_batch == 256
    monkeypatch.setenv("GRADER_JUDGE_MAX_BATCH", "64")
    assert config_from([]).judge_max_batch == 64
    with pytest.raises(ValueError, match="--judge-max-batch"):
        config_from(["--judge-max-batch", "-1"]).validate()


def test_judge_tokens_per_pass_from_flag_or_environment(monkeypatch):
    assert config_from([]).judge_tokens_per_pass == 0  # the judge's own default
    assert config_from(["--judge-tokens-per-pass", "8192"]).judge_tokens_per_pass == 8192
    monkeypatch.setenv("GRADER_JUDGE_TOKENS_PER_PASS", "4096")
    assert config_from([]).judge_tokens_per_pass == 4096
    with pytest.raises(ValueError, match="--judge-tokens-per-pass"):
        config_from(["--judge-tokens-per-pass", "-1"]).validate()


def test_a_judge_timeout_of_zero_or_less_is_refused():
    for seconds in ("0", "-1"):
        with pytest.raises(ValueError, match="--judge-timeout"):
            config_from(["--judge-timeout", seconds]).validate()
