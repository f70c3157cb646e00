"""OpenRLHF: ``--remote_rm_url path/to/this/file.py`` (the ``reward_func`` form), or the
server's HTTP endpoint ``--remote_rm_url http://HOST:PORT/openrlhf``.

``reward_func(queries, prompts, labels, **kw)``: each query is its prompt followed by the
response (the prompt is cut off), each label the reference. Returns OpenRLHF's dict of
``rewards`` and ``scores`` (tensors) and ``extra_logs``. Grades in one batch call, at
``$GRADER_TARGET`` or in-process; ``$GRADER_VERIFIER`` picks the verifier (default math).
"""

from __future__ import annotations

import os
from typing import Any, Sequence

# Absolute import: OpenRLHF loads --remote_rm_url FILE.py as a bare file (no parent package).
from grader.integrations.backend import Backend, same_length

_BACKEND = Backend()


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **kwargs: Any) -> dict[str, Any]:
    import torch

    verifier = os.environ.get("GRADER_VERIFIER", "math")
    same_length("reward_func", queries=queries, prompts=prompts, labels=labels)
    items = [{"response": q[len(p):] if isinstance(p, str) and isinstance(q, str) and q.startswith(p) else q,
              "reference": label, "verifier": verifier, "prompt": p if isinstance(p, str) else ""}
             for q, p, label in zip(queries, prompts, labels)]
    results = _BACKEND.grade(items)
    rewards = torch.tensor([r.reward for r in results], dtype=torch.float32)
    return {"rewards": rewards, "scores": rewards.clone(),
            "extra_logs": {"grader_correct": torch.tensor([float(r.correct) for r in results])}}
