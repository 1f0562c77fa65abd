"""The few ONNX protobuf messages the encoder's graph needs, written as protobuf wire bytes.

Why not the `onnx` package: importing it takes 0.6-0.9 s on this machine (its `ml_dtypes` dependency
alone), which would be most of the encoder's load budget, and onnxruntime reads the bytes without it.
The field numbers are those of onnx/onnx.proto (IR version 8); tests check the bytes with
`onnx.checker` where the `onnx` package is installed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

IR_VERSION = 8
# TensorProto.DataType
FLOAT, UINT8, INT8, INT32, INT64 = 1, 2, 3, 6, 7
_DTYPES = {np.dtype("float32"): FLOAT, np.dtype("int8"): INT8, np.dtype("int32"): INT32}
_DTYPES[np.dtype("int64")] = INT64
_DTYPES[np.dtype("uint8")] = UINT8
# AttributeProto.AttributeType
_ATTR_FLOAT, _ATTR_INT, _ATTR_INTS = 1, 2, 7
_VARINT, _LENGTH, _FIXED32 = 0, 2, 5


# A message is a list of byte strings (its parts), joined once at the end: the weights (60-90 MB) are
# then copied once, not once per level of nesting.
Parts = list[bytes | memoryview]


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s as two's complement, as protobuf writes them
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, _VARINT) + _varint(value)


def _message(field: int, parts: Parts) -> Parts:
    """A length-delimited field holding `parts` (a nested message, a string or raw bytes)."""
    return [_key(field, _LENGTH), _varint(sum(len(p) for p in parts)), *parts]


def _text(field: int, value: str) -> bytes:
    payload = value.encode("utf-8")
    return _key(field, _LENGTH) + _varint(len(payload)) + payload


def tensor(name: str, array: Any) -> Parts:
    """A TensorProto with the array's values as raw little-endian bytes (not copied here)."""
    array = np.ascontiguousarray(array)
    dtype = _DTYPES[array.dtype.newbyteorder("=")]
    dims = b"".join(_int(1, d) for d in array.shape)
    raw = memoryview(array.astype(array.dtype.newbyteorder("<"), copy=False)).cast("B")
    return [dims, _int(2, dtype), _text(8, name), *_message(9, [raw])]


def attribute(name: str, value: int | float | Sequence[int]) -> bytes:
    """An AttributeProto of an int, a float or a list of ints."""
    if isinstance(value, bool | int):
        return _text(1, name) + _int(3, int(value)) + _int(20, _ATTR_INT)
    if isinstance(value, float):
        fixed = _key(2, _FIXED32) + struct.pack("<f", value)
        return _text(1, name) + fixed + _int(20, _ATTR_FLOAT)
    return _text(1, name) + b"".join(_int(8, v) for v in value) + _int(20, _ATTR_INTS)


def node(
    op_type: str,
    inputs: Iterable[str],
    outputs: Iterable[str],
    *,
    domain: str = "",
    **attributes: int | float | Sequence[int],
) -> bytes:
    """A NodeProto."""
    out = b"".join(_text(1, i) for i in inputs) + b"".join(_text(2, o) for o in outputs)
    out += _text(4, op_type)
    out += b"".join(_small(5, attribute(k, v)) for k, v in attributes.items())
    return out + (_text(7, domain) if domain else b"")


def _small(field: int, payload: bytes) -> bytes:
    """A length-delimited field of small bytes, as one byte string."""
    return _key(field, _LENGTH) + _varint(len(payload)) + payload


def value_info(name: str, elem_type: int, shape: Sequence[int | str]) -> bytes:
    """A ValueInfoProto of a tensor; a str dimension is symbolic (e.g. "batch")."""
    dims = b"".join(
        _small(1, _text(2, d) if isinstance(d, str) else _int(1, d)) for d in shape
    )  # TensorShapeProto.Dimension: dim_value 1, dim_param 2
    tensor_type = _int(1, elem_type) + _small(2, dims)
    return _text(1, name) + _small(2, _small(1, tensor_type))


def model(
    *,
    name: str,
    nodes: Sequence[bytes],
    initializers: Sequence[Parts],
    inputs: Sequence[bytes],
    outputs: Sequence[bytes],
    opsets: dict[str, int],
    producer: str,
) -> bytes:
    """A serialized ModelProto of one graph."""
    graph: Parts = [_small(1, n) for n in nodes]
    graph.append(_text(2, name))
    for initializer in initializers:
        graph += _message(5, initializer)
    graph += [_small(11, i) for i in inputs]
    graph += [_small(12, o) for o in outputs]
    head = _int(1, IR_VERSION) + _text(2, producer)
    sets = b"".join(_small(8, (_text(1, d) if d else b"") + _int(2, v)) for d, v in opsets.items())
    return b"".join([head, sets, *_message(7, graph)])
