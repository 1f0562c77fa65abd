"""The encoder on onnxruntime (optional extra): its graph bytes, and its numbers against numpy's.

Every test here skips without onnxruntime; those that read the model also skip without its weights.
Figures measured when these tests were written (training messages, int8 against numpy): cosine mean
0.997, lowest 0.967; the shipped classifier's intent agreed on 99.5 % of the messages.
"""

from __future__ import annotations

import numpy as np
import pytest

from rapport.understanding import onnx_wire as wire
from rapport.understanding.encoder import SentenceEncoder, load_encoder_from, model_directory
from rapport.understanding.encoder_model import ENCODER_MODEL_PATH, EncoderIntentModel
from rapport.understanding.training import OWN_CSVS, training_examples

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install -e '.[encoder]')")

MESSAGES = [
    "Where is my package? It was meant to arrive on Monday.",
    "The mug arrived broken, the handle snapped off in the box.",
    "I was charged twice for order #48213, please refund one of them.",
    "Can I change the delivery address before it ships?",
    "hi",
    "",
    "My order came but the lamp base is cracked. Also the invoice shows the wrong amount.",
    "word " * 300,
]


def _tiny_model() -> bytes:
    """y = LayerNorm(Softmax(x @ w + b)) transposed: every kind of attribute the encoder's graph uses."""
    rng = np.random.default_rng(3)
    w, b = rng.normal(size=(4, 3)).astype(np.float32), np.arange(3, dtype=np.float32)
    nodes = [
        wire.node("MatMul", ["x", "w"], ["xw"]),
        wire.node("Add", ["xw", "b"], ["z"]),
        wire.node("Softmax", ["z"], ["s"], axis=-1),
        wire.node("LayerNormalization", ["s", "g", "beta"], ["n"], axis=-1, epsilon=1e-5),
        wire.node("Transpose", ["n"], ["y"], perm=[1, 0]),
    ]
    initializers = [
        wire.tensor("w", w),
        wire.tensor("b", b),
        wire.tensor("g", np.ones(3, np.float32)),
        wire.tensor("beta", np.zeros(3, np.float32)),
    ]
    return wire.model(
        name="tiny",
        nodes=nodes,
        initializers=initializers,
        inputs=[wire.value_info("x", wire.FLOAT, ["rows", 4])],
        outputs=[wire.value_info("y", wire.FLOAT, [3, "rows"])],
        opsets={"": 17},
        producer="test",
    )


def test_a_graph_written_as_wire_bytes_runs_on_onnxruntime_as_numpy_computes_it() -> None:
    rng = np.random.default_rng(3)
    w, b = rng.normal(size=(4, 3)).astype(np.float32), np.arange(3, dtype=np.float32)
    x = np.random.default_rng(5).normal(size=(2, 4)).astype(np.float32)
    session = ort.InferenceSession(_tiny_model(), providers=["CPUExecutionProvider"])
    z = x @ w + b
    s = np.exp(z - z.max(axis=1, keepdims=True))
    s /= s.sum(axis=1, keepdims=True)
    n = (s - s.mean(axis=1, keepdims=True)) / np.sqrt(s.var(axis=1, keepdims=True) + 1e-5)
    assert np.allclose(session.run(["y"], {"x": x})[0], n.T, atol=1e-5)


@pytest.fixture(scope="module")
def runtimes() -> dict[str, object]:
    directory = model_directory()
    if directory is None:
        pytest.skip("the encoder's weights are not installed (docs/understanding.md)")
    return {name: load_encoder_from(directory, runtime=name) for name in ("numpy", "onnx-fp32", "onnx-int8")}


def test_the_encoder_graph_is_valid_onnx(runtimes) -> None:  # type: ignore[no-untyped-def]
    onnx = pytest.importorskip("onnx", reason="the onnx package (only for this check) is not installed")
    from rapport.understanding.encoder import read_safetensors
    from rapport.understanding.encoder_onnx import build_graph

    directory = model_directory()
    assert directory is not None
    tensors = read_safetensors(directory / "model.safetensors")
    for quantize in (False, True):
        onnx.checker.check_model(onnx.load_from_string(build_graph(tensors, quantize=quantize)))


def test_auto_runs_the_encoder_on_onnxruntime_in_int8(runtimes) -> None:  # type: ignore[no-untyped-def]
    from rapport.understanding.encoder_onnx import OnnxSentenceEncoder

    directory = model_directory()
    assert directory is not None
    assert isinstance(load_encoder_from(directory, runtime="auto"), OnnxSentenceEncoder)
    assert isinstance(runtimes["numpy"], SentenceEncoder)


def test_fp32_gives_the_reference_embedding_of_pytorch(runtimes) -> None:  # type: ignore[no-untyped-def]
    vector = runtimes["onnx-fp32"].encode_one("This is an example sentence")
    assert np.allclose(vector[:5], [0.0677, 0.0635, 0.0487, 0.0793, 0.0374], atol=1e-4)


def test_fp32_embeddings_match_numpys(runtimes) -> None:  # type: ignore[no-untyped-def]
    onnx, numpy = runtimes["onnx-fp32"].encode(MESSAGES), runtimes["numpy"].encode(MESSAGES)
    assert ((onnx * numpy).sum(axis=1) >= 0.999).all()
    assert np.abs(onnx - numpy).max() < 1e-4


def test_int8_embeddings_stay_close_to_numpys(runtimes) -> None:  # type: ignore[no-untyped-def]
    texts = [e.text for e in training_examples([], OWN_CSVS)][::5]
    cosines = (runtimes["onnx-int8"].encode(texts) * runtimes["numpy"].encode(texts)).sum(axis=1)
    assert cosines.mean() >= 0.995
    assert cosines.min() >= 0.95


def test_int8_reads_a_message_alone_as_among_others(runtimes) -> None:  # type: ignore[no-untyped-def]
    encoder = runtimes["onnx-int8"]
    one_by_one = np.stack([encoder.encode([text])[0] for text in MESSAGES])
    assert np.abs(encoder.encode(MESSAGES) - one_by_one).max() < 1e-5


def test_int8_token_states_have_one_vector_per_token(runtimes) -> None:  # type: ignore[no-untyped-def]
    states, offsets = runtimes["onnx-int8"].token_states("my parcel is late")
    assert states.shape == (len(offsets), 384)


@pytest.mark.slow
def test_the_shipped_classifier_reads_the_training_messages_alike_on_int8_and_numpy(runtimes) -> None:  # type: ignore[no-untyped-def]
    # Every 8th of our own training messages (~600): the full 4,800 took ~110 s of the suite's budget
    # on numpy; the docs give the agreement on all of them (99.58 %).
    texts = [e.text for e in training_examples([], OWN_CSVS)][::8]
    onnx = EncoderIntentModel.load(ENCODER_MODEL_PATH, embedder=runtimes["onnx-int8"]).classify_many(texts)
    numpy = EncoderIntentModel.load(ENCODER_MODEL_PATH, embedder=runtimes["numpy"]).classify_many(texts)
    agreement = sum(a.intent == b.intent for a, b in zip(onnx, numpy, strict=True)) / len(texts)
    print(f"intent agreement int8 / numpy on {len(texts)} training messages: {agreement:.4f}")
    assert agreement >= 0.99
