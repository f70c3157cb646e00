from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATUS_UNSPECIFIED: _ClassVar[Status]
    OK: _ClassVar[Status]
    NO_ANSWER: _ClassVar[Status]
    PARSE_ERROR: _ClassVar[Status]
    TIMEOUT: _ClassVar[Status]
    INVALID_ARGUMENT: _ClassVar[Status]
STATUS_UNSPECIFIED: Status
OK: Status
NO_ANSWER: Status
PARSE_ERROR: Status
TIMEOUT: Status
INVALID_ARGUMENT: Status

class GradeItem(_message.Message):
    __slots__ = ("id", "response", "reference", "verifier", "options", "prompt")
    ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    VERIFIER_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    id: str
    response: str
    reference: _containers.RepeatedScalarFieldContainer[str]
    verifier: str
    options: _struct_pb2.Struct
    prompt: str
    def __init__(self, id: _Optional[str] = ..., response: _Optional[str] = ..., reference: _Optional[_Iterable[str]] = ..., verifier: _Optional[str] = ..., options: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., prompt: _Optional[str] = ...) -> None: ...

class RewardShaping(_message.Message):
    __slots__ = ("correct", "incorrect", "no_answer", "timeout")
    CORRECT_FIELD_NUMBER: _ClassVar[int]
    INCORRECT_FIELD_NUMBER: _ClassVar[int]
    NO_ANSWER_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    correct: float
    incorrect: float
    no_answer: float
    timeout: float
    def __init__(self, correct: _Optional[float] = ..., incorrect: _Optional[float] = ..., no_answer: _Optional[float] = ..., timeout: _Optional[float] = ...) -> None: ...

class GradeRequest(_message.Message):
    __slots__ = ("items", "default_verifier", "default_options", "reward_shaping")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VERIFIER_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REWARD_SHAPING_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[GradeItem]
    default_verifier: str
    default_options: _struct_pb2.Struct
    reward_shaping: RewardShaping
    def __init__(self, items: _Optional[_Iterable[_Union[GradeItem, _Mapping]]] = ..., default_verifier: _Optional[str] = ..., default_options: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., reward_shaping: _Optional[_Union[RewardShaping, _Mapping]] = ...) -> None: ...

class Check(_message.Message):
    __slots__ = ("name", "passed", "score", "reason", "status")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    name: str
    passed: bool
    score: float
    reason: str
    status: str
    def __init__(self, name: _Optional[str] = ..., passed: _Optional[bool] = ..., score: _Optional[float] = ..., reason: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class GradeResult(_message.Message):
    __slots__ = ("id", "reward", "score", "correct", "status", "extracted", "normalized", "normalized_reference", "method", "reason", "latency_ms", "checks")
    ID_FIELD_NUMBER: _ClassVar[int]
    REWARD_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CORRECT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EXTRACTED_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    id: str
    reward: float
    score: float
    correct: bool
    status: Status
    extracted: str
    normalized: str
    normalized_reference: str
    method: str
    reason: str
    latency_ms: float
    checks: _containers.RepeatedCompositeFieldContainer[Check]
    def __init__(self, id: _Optional[str] = ..., reward: _Optional[float] = ..., score: _Optional[float] = ..., correct: _Optional[bool] = ..., status: _Optional[_Union[Status, str]] = ..., extracted: _Optional[str] = ..., normalized: _Optional[str] = ..., normalized_reference: _Optional[str] = ..., method: _Optional[str] = ..., reason: _Optional[str] = ..., latency_ms: _Optional[float] = ..., checks: _Optional[_Iterable[_Union[Check, _Mapping]]] = ...) -> None: ...

class GradeResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[GradeResult]
    def __init__(self, results: _Optional[_Iterable[_Union[GradeResult, _Mapping]]] = ...) -> None: ...

class ListVerifiersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VerifierInfo(_message.Message):
    __slots__ = ("name", "description", "options", "placement", "supports")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    options: _containers.RepeatedScalarFieldContainer[str]
    placement: str
    supports: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., options: _Optional[_Iterable[str]] = ..., placement: _Optional[str] = ..., supports: _Optional[_Iterable[str]] = ...) -> None: ...

class ListVerifiersResponse(_message.Message):
    __slots__ = ("verifiers", "server_version", "engine_version")
    VERIFIERS_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    ENGINE_VERSION_FIELD_NUMBER: _ClassVar[int]
    verifiers: _containers.RepeatedCompositeFieldContainer[VerifierInfo]
    server_version: str
    engine_version: str
    def __init__(self, verifiers: _Optional[_Iterable[_Union[VerifierInfo, _Mapping]]] = ..., server_version: _Optional[str] = ..., engine_version: _Optional[str] = ...) -> None: ...
