"""Ray 2.55 (pinned with verl) on protobuf 7 (pinned with grpcio): Serve's controller reads the
deployment configs it is sent with ``FieldDescriptor.label``, which protobuf 7's descriptors no
longer have, so every deploy fails. ``patch`` swaps in the same conversion reading
``is_repeated``. It must run in Serve's controller, a Ray worker: a job that starts Serve sets it
as its ``worker_process_setup_hook`` (``RUNTIME_ENV``), which every worker of the job runs first.
Drop this module with a Ray release that reads ``is_repeated`` itself.
"""

from __future__ import annotations

from typing import Any

RUNTIME_ENV = {"worker_process_setup_hook": "grader.ray_compat.patch"}


def patch() -> None:
    """Make Ray Serve's proto-to-dict conversion work on protobuf 7 (a no-op where ``label`` exists)."""
    from google.protobuf.descriptor import FieldDescriptor

    if hasattr(FieldDescriptor, "label"):
        return
    from ray.serve._private import config

    config._proto_to_dict = _proto_to_dict


def _proto_to_dict(proto: Any) -> dict[str, Any]:
    """``ray.serve._private.config._proto_to_dict`` of Ray 2.55, with ``is_repeated`` for ``label``."""
    from google.protobuf.descriptor import FieldDescriptor

    data: dict[str, Any] = {}
    for field, value in proto.ListFields():
        message = field.type == FieldDescriptor.TYPE_MESSAGE
        if field.is_repeated:
            data[field.name] = [_proto_to_dict(v) for v in value] if message else list(value)
        else:
            data[field.name] = _proto_to_dict(value) if message else value
    for field in proto.DESCRIPTOR.fields:  # defaults of unset plain fields, as Ray's does
        if field.name not in data and field.type != FieldDescriptor.TYPE_MESSAGE and not field.containing_oneof:
            data[field.name] = field.default_value
    return data
