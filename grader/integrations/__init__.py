"""Adapters that plug the grader into RL trainers' own reward interfaces.

No trainer is imported when these modules load. Each adapter grades through a
``Backend``: the server at ``target`` (``host:port``, or several, used round-robin), else
at ``$GRADER_TARGET``, else in-process. One batch call per trainer call.

- ``grader.integrations.trl``: ``GraderReward`` / ``AsyncGraderReward`` for ``GRPOTrainer(reward_funcs=...)``;
- ``grader.integrations.verl``: ``compute_score``, ``compute_score_async``, ``compute_score_batch``;
- ``grader.integrations.openrlhf``: ``reward_func`` for ``--remote_rm_url`` as a ``.py`` file;
- ``grader.integrations.open_instruct``: ``GraderVerifier``, a ``VerifierFunction``.
"""

from __future__ import annotations

from .backend import Backend, target_from_env

__all__ = ["Backend", "target_from_env"]
