"""Latency and throughput of message understanding (intent + entities), one message at a time and in bulk.

Run from the project root: `.venv/bin/python benchmarks/bench_understanding.py [--encoder-only |
--combined-only]`. Not a timed test: it prints figures for docs/understanding.md. Uses the Bitext messages
when ../shared/data is present. With the encoder installed, its model is measured on each runtime (auto,
fp32, numpy), and the combined model (what triage reads messages with then) from a cold start.
"""

from __future__ import annotations

import csv
import os
import statistics
import sys
import time
from pathlib import Path

from rapport.understanding import detect_signals, extract_entities
from rapport.understanding.model import IntentModel
from rapport.understanding.training import MODEL_PATH

ROOT = Path(__file__).resolve().parents[1]
BITEXT = ROOT.parent / "shared" / "data" / "bitext" / "bitext_customer_support.csv"
UNSEEN = ROOT / "tests" / "understanding" / "unseen_messages.csv"


def messages() -> list[str]:
    """The benchmark corpus: Bitext's messages when available, plus Rapport's unseen test messages."""
    texts: list[str] = []
    for path, column in ((BITEXT, "instruction"), (UNSEEN, "text")):
        if path.exists():
            with path.open(newline="", encoding="utf-8") as fh:
                texts += [row[column] for row in csv.DictReader(fh)]
    return texts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    started = time.perf_counter()
    model = IntentModel.load(MODEL_PATH)
    model.classify("warm up")
    load_ms = (time.perf_counter() - started) * 1000
    texts = messages()
    per_message: list[float] = []
    for text in texts:
        t0 = time.perf_counter()
        model.classify(text)
        extract_entities(text)
        per_message.append((time.perf_counter() - t0) * 1000)
    with_signals: list[float] = []
    for text in texts:
        t0 = time.perf_counter()
        model.classify(text)
        extract_entities(text)
        detect_signals(text)
        with_signals.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    model.classify_many(texts)
    for text in texts:
        extract_entities(text)
    bulk_s = time.perf_counter() - t0

    size_kib = MODEL_PATH.stat().st_size / 1024
    print(f"cpus: {os.cpu_count()}  messages: {len(texts)}  model file: {size_kib:.0f} KiB")
    print(f"model load + first message: {load_ms:.0f} ms")
    print(
        f"intent + entities, one at a time: median {statistics.median(per_message):.3f} ms, "
        f"p99 {percentile(per_message, 0.99):.3f} ms, "
        f"throughput {len(texts) / (sum(per_message) / 1000):.0f} msg/s"
    )
    print(
        f"intent + entities + signals:      median {statistics.median(with_signals):.3f} ms, "
        f"p99 {percentile(with_signals, 0.99):.3f} ms"
    )
    print(f"bulk (classify_many + entities):  {len(texts) / bulk_s:.0f} msg/s")


def main_encoder(limit: int = 600, runtimes: tuple[str, ...] = ("auto", "onnx-fp32", "numpy")) -> None:
    """The encoder model (optional extra): load time, and intent + entities + signals per message, on
    each runtime in turn (the numpy reference in the same run gives a ratio that the machine's load
    changes less than the absolute figures).

    A sample of `limit` messages (every k-th of the corpus): the numpy encoder costs milliseconds per
    message, so the whole corpus would take minutes on this machine.
    """
    from rapport.understanding import encoder

    directory = encoder.model_directory()
    if directory is None:
        print("encoder: not installed (pip install -e '.[encoder]'), skipped")
        return
    texts = messages()
    step = max(1, len(texts) // limit)
    sample = texts[::step][:limit]
    medians: dict[str, float] = {}
    for runtime in runtimes:
        load = os.getloadavg()[0]
        try:
            load_ms, timings = _encoder_timings(directory, runtime, sample)
        except encoder.EncoderUnavailable as exc:
            print(f"encoder ({runtime}): unavailable ({exc}), skipped")
            continue
        medians[runtime] = statistics.median(timings)
        print(
            f"encoder ({runtime}): weights check + load + first message {load_ms:.0f} ms; "
            f"intent + entities + signals over {len(sample)} messages: median {medians[runtime]:.2f} ms, "
            f"p99 {percentile(timings, 0.99):.2f} ms (load average {load:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after)"
        )
    if "numpy" in medians and len(medians) > 1:
        ratios = ", ".join(f"{r} {medians['numpy'] / m:.1f}x" for r, m in medians.items() if r != "numpy")
        print(f"encoder: median speed-up over numpy in this run: {ratios}")


def _encoder_timings(directory: Path, runtime: str, sample: list[str]) -> tuple[float, list[float]]:
    """Milliseconds to load the encoder model on `runtime` (and read one message), then per message."""
    from rapport.understanding.encoder import load_encoder_from
    from rapport.understanding.encoder_model import ENCODER_MODEL_PATH, EncoderIntentModel

    started = time.perf_counter()
    model = EncoderIntentModel.load(
        ENCODER_MODEL_PATH, embedder=load_encoder_from(directory, runtime=runtime)
    )
    model.classify("warm up")
    load_ms = (time.perf_counter() - started) * 1000
    timings: list[float] = []
    for text in sample:
        t0 = time.perf_counter()
        model.classify(text)
        extract_entities(text)
        detect_signals(text)
        timings.append((time.perf_counter() - t0) * 1000)
    return load_ms, timings


def main_combined(limit: int = 600) -> None:
    """The combined model (encoder + TF-IDF, the default with the encoder installed): the packaged files
    checked and loaded from cold, then intent + entities + signals per message, beside the TF-IDF model
    alone on the same sample (the same run's reference)."""
    from rapport.understanding.combined_model import load_packaged_combined_model

    load = os.getloadavg()[0]
    started = time.perf_counter()
    model = load_packaged_combined_model()
    if model is None:
        print("combined: not installed (the encoder extra or the choice file is missing), skipped")
        return
    model.classify("warm up")
    load_ms = (time.perf_counter() - started) * 1000
    texts = messages()
    sample = texts[:: max(1, len(texts) // limit)][:limit]
    reference = IntentModel.load(MODEL_PATH)
    timings, tfidf = _timings(model, sample), _timings(reference, sample)
    print(
        f"combined: files checked + load + first message {load_ms:.0f} ms; intent + entities + signals "
        f"over {len(sample)} messages: median {statistics.median(timings):.2f} ms, "
        f"p99 {percentile(timings, 0.99):.2f} ms; TF-IDF alone, same sample: median "
        f"{statistics.median(tfidf):.2f} ms, p99 {percentile(tfidf, 0.99):.2f} ms "
        f"(load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)"
    )


def _timings(model: object, sample: list[str]) -> list[float]:
    classify = model.classify  # type: ignore[attr-defined]
    timings: list[float] = []
    for text in sample:
        t0 = time.perf_counter()
        classify(text)
        extract_entities(text)
        detect_signals(text)
        timings.append((time.perf_counter() - t0) * 1000)
    return timings


if __name__ == "__main__":
    if "--combined-only" in sys.argv:
        main_combined()
    else:
        if "--encoder-only" not in sys.argv:
            main()
        main_encoder()
        main_combined()
