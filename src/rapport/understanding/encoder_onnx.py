"""all-MiniLM-L6-v2 on onnxruntime, its graph built in memory from the same safetensors weights.

Optional (`pip install -e '.[encoder]'` brings `onnxruntime`): without it, rapport.understanding.encoder
computes the same arithmetic with numpy, the reference. Nothing is downloaded and no model file is
written: `build_graph` writes BERT's operations as ONNX protobuf bytes (rapport.understanding.onnx_wire)
in about 0.3 s, and onnxruntime reads them.

int8 (the default): each weight matrix is quantized to int8 per output column once, at load; each
token's activations to 8 bits at run time with a scale of its own (QuantizeLinear per row, then
onnxruntime's MatMulIntegerToFloat, a com.microsoft operator of its CPU provider). A scale per token,
not per batch, keeps a message's vector the same whether it is read alone or among others. fp32 keeps
the reference's numbers (to ~1e-7) at a third of int8's speed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rapport.understanding import onnx_wire as wire
from rapport.understanding.encoder import HEADS, HIDDEN, LAYERS, TokenEncoder, pad, pool_batch

BUILDER_VERSION = 2
OPSET = 17  # LayerNormalization
_EPS = 1e-12
_HIDE = -1e9  # the attention bias of padding tokens: never attended to


class _Graph:
    """The nodes and initializers of the ONNX graph, appended to as the layers are written."""

    def __init__(self, quantize: bool) -> None:
        self.quantize = quantize
        self.nodes: list[bytes] = []
        self.initializers: list[wire.Parts] = []
        self._count = 0
        self._constants: dict[str, str] = {}

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, hint: str, array: Any) -> str:
        name = self.name(hint)
        self.initializers.append(wire.tensor(name, array))
        return name

    def shared(self, hint: str, array: Any) -> str:
        """A small constant written once and used by many nodes."""
        if hint not in self._constants:
            self._constants[hint] = self.constant(hint, array)
        return self._constants[hint]

    def op(self, kind: str, inputs: list[str], domain: str = "", **attributes: Any) -> str:
        out = self.name(kind.lower())
        self.nodes.append(wire.node(kind, inputs, [out], domain=domain, **attributes))
        return out

    def dense(self, x: str, weight: Any, bias: Any, hint: str) -> str:
        """x @ weight.T + bias, x of shape (tokens, in); weight as PyTorch stores it (out, in)."""
        w = np.asarray(weight, dtype=np.float32).T
        b = self.constant(hint + "_b", np.asarray(bias, dtype=np.float32))
        if not self.quantize:
            return self.op("Add", [self.op("MatMul", [x, self.constant(hint + "_w", w)]), b])
        column_scale = np.maximum(np.abs(w).max(axis=0), 1e-8) / 127.0
        wq = self.constant(hint + "_wq", np.clip(np.rint(w / column_scale), -127, 127).astype(np.int8))
        ws = self.constant(hint + "_ws", column_scale.astype(np.float32))
        xq, xs, zero = self._quantized_rows(x)
        # onnxruntime's fused kernel (3x faster here than MatMulInteger, Cast, Mul): the product times
        # the columns' scales; the rows' scales are applied after, as it takes one scale for all of A
        inputs = [xq, wq, self.shared("one", np.float32(1.0)), ws, zero]
        inputs.append(self.shared(f"weight_zero_{w.shape[1]}", np.zeros(w.shape[1], np.int8)))
        product = self.op("MatMulIntegerToFloat", inputs, domain="com.microsoft")
        return self.op("Add", [self.op("Mul", [product, xs]), b])

    def _quantized_rows(self, x: str) -> tuple[str, str, str]:
        """Each row of x as uint8 around 128 (symmetric), its scale as a column, and the zero point:
        onnxruntime takes one zero point for all rows, so it is the same for all."""
        scale = self.op("ReduceMax", [self.op("Abs", [x])], axes=[1], keepdims=0)
        scale = self.op("Max", [self.op("Div", [scale, self.shared("c127", np.float32(127.0))]), self.tiny])
        zero = self.shared("zero_point", np.uint8(128))
        zeros = self.op("Expand", [zero, self.op("Shape", [scale])])
        xq = self.op("QuantizeLinear", [x, scale, zeros], axis=0)
        column = self.op("Unsqueeze", [scale, self.shared("axis1", np.array([1], dtype=np.int64))])
        return xq, column, zero

    @property
    def tiny(self) -> str:
        return self.shared("tiny", np.float32(1e-8))

    def layer_norm(self, x: str, gamma: Any, beta: Any, hint: str) -> str:
        inputs = [x, self.constant(hint + "_g", gamma), self.constant(hint + "_b", beta)]
        return self.op("LayerNormalization", inputs, axis=-1, epsilon=_EPS)


def build_graph(tensors: dict[str, Any], *, quantize: bool = True) -> bytes:
    """The serialized ONNX model of the encoder: inputs ids (batch, length), positions (length) and
    the attention bias (batch, 1, 1, length: 0 for a token, -1e9 for padding); output `states`, the last
    layer's vectors (batch, length, 384). Between, the tokens are rows of one (batch x length, 384)
    matrix, reshaped to (batch, heads, length, 32) for attention only."""
    t = tensors
    g = _Graph(quantize)
    words = g.op("Gather", [g.constant("word", t["embeddings.word_embeddings.weight"]), "ids"], axis=0)
    table = g.constant("position", t["embeddings.position_embeddings.weight"])
    x = g.op("Add", [words, g.op("Gather", [table, "positions"], axis=0)])
    x = g.op("Add", [x, g.constant("type0", t["embeddings.token_type_embeddings.weight"][0])])
    x = g.layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], "ln0")
    x = g.op("Reshape", [x, g.shared("rows", np.array([-1, HIDDEN], dtype=np.int64))])
    batch_length = g.op("Shape", ["ids"])
    heads = g.constant("heads", np.array([HEADS, HIDDEN // HEADS], dtype=np.int64))
    shapes = _Shapes(g, g.op("Concat", [batch_length, heads], axis=0))
    for i in range(LAYERS):
        x = _layer(g, shapes, t, i, x)
    hidden = g.constant("hidden", np.array([HIDDEN], dtype=np.int64))
    out_shape = g.op("Concat", [batch_length, hidden], axis=0)
    g.nodes.append(wire.node("Reshape", [x, out_shape], ["states"]))
    return wire.model(
        name="all-MiniLM-L6-v2",
        nodes=g.nodes,
        initializers=g.initializers,
        inputs=[
            wire.value_info("ids", wire.INT64, ["batch", "length"]),
            wire.value_info("positions", wire.INT64, ["length"]),
            wire.value_info("bias", wire.FLOAT, ["batch", 1, 1, "length"]),
        ],
        outputs=[wire.value_info("states", wire.FLOAT, ["batch", "length", HIDDEN])],
        opsets={"": OPSET, "com.microsoft": 1},
        producer=f"rapport-encoder-{BUILDER_VERSION}",
    )


class _Shapes:
    """The constants every layer uses (reshapes to heads and back, the attention scale, GELU's)."""

    def __init__(self, g: _Graph, heads: str) -> None:
        self.heads = heads  # (batch, length, HEADS, 32), from the ids' shape
        self.rows = g.shared("rows", np.array([-1, HIDDEN], dtype=np.int64))
        self.split = g.constant("qkv_split", np.array([HIDDEN, HIDDEN, HIDDEN], dtype=np.int64))
        self.scale = g.constant("scale", np.array(1.0 / np.sqrt(HIDDEN // HEADS), dtype=np.float32))
        self.half = g.constant("half", np.array(0.5, np.float32))
        self.one = g.constant("one", np.array(1.0, np.float32))
        self.root2 = g.constant("root2", np.array(np.sqrt(2.0), np.float32))


def _layer(g: _Graph, c: _Shapes, t: dict[str, Any], i: int, x: str) -> str:
    """One BERT layer: self-attention over the unmasked tokens, then the GELU feed-forward."""
    p, a = f"encoder.layer.{i}.", f"encoder.layer.{i}.attention."
    names = ("query", "key", "value")
    weight = np.concatenate([t[a + f"self.{n}.weight"] for n in names], axis=0)
    bias = np.concatenate([t[a + f"self.{n}.bias"] for n in names])
    qkv = g.dense(x, weight, bias, f"l{i}_qkv")
    split = [g.name(n) for n in names]
    g.nodes.append(wire.node("Split", [qkv, c.split], split, axis=-1))
    q, k, v = (
        g.op("Transpose", [g.op("Reshape", [part, c.heads])], perm=perm)
        for part, perm in zip(split, ([0, 2, 1, 3], [0, 2, 3, 1], [0, 2, 1, 3]), strict=True)
    )
    scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), c.scale]), "bias"])
    context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    context = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), c.rows])
    attended = g.dense(context, t[a + "output.dense.weight"], t[a + "output.dense.bias"], f"l{i}_out")
    ln1 = (t[a + "output.LayerNorm.weight"], t[a + "output.LayerNorm.bias"])
    x = g.layer_norm(g.op("Add", [x, attended]), *ln1, f"l{i}_ln1")
    up = g.dense(x, t[p + "intermediate.dense.weight"], t[p + "intermediate.dense.bias"], f"l{i}_up")
    erf = g.op("Erf", [g.op("Div", [up, c.root2])])
    gelu = g.op("Mul", [g.op("Mul", [up, c.half]), g.op("Add", [erf, c.one])])  # exact GELU
    down = g.dense(gelu, t[p + "output.dense.weight"], t[p + "output.dense.bias"], f"l{i}_down")
    ln2 = (t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"])
    return g.layer_norm(g.op("Add", [x, down]), *ln2, f"l{i}_ln2")


class OnnxSentenceEncoder(TokenEncoder):
    """The encoder's arithmetic on an onnxruntime session, on one thread.

    One thread for batches too: on this 2-core machine shared with other work, two threads read 1,000
    backlog messages at 113-218 msg/s (their spinning workers wait for each other and for the other
    processes), one thread at 229-353 msg/s with the least CPU (2.8-3.0 s against 3.8-7.2 s)."""

    # batches as numpy's (~512 tokens): on one thread, 1,200 customer messages at 555 msg/s; 1,024 tokens
    # 526, 2,048 tokens 467, 4,096 tokens 304 (the same run)

    def __init__(self, model: bytes, tokenizer: Any, *, threads: int = 1) -> None:
        super().__init__(tokenizer)
        self._session = _session(model, threads=threads)

    @classmethod
    def from_tensors(
        cls, tensors: dict[str, Any], tokenizer: Any, *, quantize: bool = True
    ) -> OnnxSentenceEncoder:
        """The encoder of the safetensors weights, its graph built in memory."""
        return cls(build_graph(tensors, quantize=quantize), tokenizer)

    def _run(self, padded: Any, mask: Any) -> Any:
        length = padded.shape[1]
        bias = ((1.0 - mask) * np.float32(_HIDE))[:, None, None, :].astype(np.float32)
        feeds = {"ids": padded, "positions": np.arange(length, dtype=np.int64), "bias": bias}
        return self._session.run(["states"], feeds)[0]

    def _states(self, ids: list[int]) -> Any:
        padded = np.asarray([ids], dtype=np.int64)
        return self._run(padded, np.ones(padded.shape, dtype=np.float32))[0]

    def _pooled_batch(self, batch: list[list[int]]) -> Any:
        padded, mask = pad(batch)
        return pool_batch(self._run(padded, mask), mask)


def _session(model: bytes, *, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: its optimizer's notes are not the user's business
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
