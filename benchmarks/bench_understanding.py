"""Latency and throughput of message understanding (intent + entities), one message at a time and in bulk.

Run from the project root: `.venv/bin/python benchmarks/bench_understanding.py [--encoder-only |
--combined-only] [--smoke] [--json]`. Not a timed test: it prints figures for docs/understanding.md. Uses
the Bitext messages when ../shared/data is present. With the encoder installed, its model is measured on
each runtime (auto, fp32, numpy), and the combined model (what triage reads messages with then) from a
cold start. References measured in the same run: the TF-IDF model's bulk path beside its one-at-a-time
path, the numpy encoder beside the faster runtimes, the TF-IDF model beside the combined one; each part
prints the load average at its start and end. --smoke: 200 messages (30 for the encoder and the combined
model); --json: one JSON line per part.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

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


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def emit(figures: dict[str, Any], line: str, *, as_json: bool) -> None:
    print(json.dumps(figures) if as_json else line)


def main_tfidf(limit: int | None = None, *, as_json: bool = False) -> None:
    """The TF-IDF model: load, then intent + entities (+ signals) one at a time and in bulk."""
    load_start = load_average()
    started = time.perf_counter()
    model = IntentModel.load(MODEL_PATH)
    model.classify("warm up")
    load_ms = (time.perf_counter() - started) * 1000
    texts = messages()[:limit]
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
    one_rate = len(texts) / (sum(per_message) / 1000)
    figures = {
        "benchmark": "understanding",
        "part": "tfidf",
        "messages": len(texts),
        "load_ms": round(load_ms),
        "median_ms": round(statistics.median(per_message), 3),
        "p99_ms": round(percentile(per_message, 0.99), 3),
        "with_signals_median_ms": round(statistics.median(with_signals), 3),
        "with_signals_p99_ms": round(percentile(with_signals, 0.99), 3),
        "per_second": round(one_rate),
        "bulk_per_second": round(len(texts) / bulk_s),
        "ratio": round(len(texts) / bulk_s / one_rate, 2),  # bulk's rate over one at a time
        "load_average_start": load_start,
        "load_average_end": load_average(),
    }
    lines = [
        f"cpus: {os.cpu_count()}  messages: {len(texts)}  model file: {size_kib:.0f} KiB",
        f"model load + first message: {load_ms:.0f} ms",
        f"intent + entities, one at a time: median {figures['median_ms']:.3f} ms, "
        f"p99 {figures['p99_ms']:.3f} ms, throughput {one_rate:.0f} msg/s",
        f"intent + entities + signals:      median {figures['with_signals_median_ms']:.3f} ms, "
        f"p99 {figures['with_signals_p99_ms']:.3f} ms",
        f"bulk (classify_many + entities):  {figures['bulk_per_second']} msg/s = {figures['ratio']}x one at "
        f"a time, same run; load average {load_start} -> {figures['load_average_end']}",
    ]
    emit(figures, "\n".join(lines), as_json=as_json)


def main_encoder(
    limit: int = 600, runtimes: tuple[str, ...] = ("auto", "onnx-fp32", "numpy"), *, as_json: bool = False
) -> None:
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
    results: list[dict[str, Any]] = []
    for runtime in runtimes:
        load = load_average()
        try:
            load_ms, timings = _encoder_timings(directory, runtime, sample)
        except encoder.EncoderUnavailable as exc:
            print(f"encoder ({runtime}): unavailable ({exc}), skipped")
            continue
        medians[runtime] = statistics.median(timings)
        figures = {
            "benchmark": "understanding",
            "part": "encoder",
            "runtime": runtime,
            "messages": len(sample),
            "load_ms": round(load_ms),
            "median_ms": round(medians[runtime], 3),
            "p99_ms": round(percentile(timings, 0.99), 3),
            "load_average_start": load,
            "load_average_end": load_average(),
        }
        if not as_json:
            print(
                f"encoder ({runtime}): weights check + load + first message {load_ms:.0f} ms; "
                f"intent + entities + signals over {len(sample)} messages: median {medians[runtime]:.2f} ms, "
                f"p99 {figures['p99_ms']:.2f} ms (load average {load} -> {figures['load_average_end']})"
            )
        results.append(figures)
    for figures in results:  # the numpy runtime, measured in this same run, is the reference
        figures["ratio_to_numpy"] = (
            round(medians["numpy"] / figures["median_ms"], 2) if "numpy" in medians else None
        )
        if as_json:
            print(json.dumps(figures))
    if "numpy" in medians and len(medians) > 1 and not as_json:
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


def main_combined(limit: int = 600, *, as_json: bool = False) -> None:
    """The combined model (encoder + TF-IDF, the default with the encoder installed): the packaged files
    checked and loaded from cold, then intent + entities + signals per message, beside the TF-IDF model
    alone on the same sample (the same run's reference)."""
    from rapport.understanding.combined_model import load_packaged_combined_model

    load = load_average()
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
    figures = {
        "benchmark": "understanding",
        "part": "combined",
        "messages": len(sample),
        "load_ms": round(load_ms),
        "median_ms": round(statistics.median(timings), 3),
        "p99_ms": round(percentile(timings, 0.99), 3),
        "tfidf_median_ms": round(statistics.median(tfidf), 3),
        "tfidf_p99_ms": round(percentile(tfidf, 0.99), 3),
        "ratio": round(statistics.median(timings) / statistics.median(tfidf), 1),  # times TF-IDF's median
        "load_average_start": load,
        "load_average_end": load_average(),
    }
    line = (
        f"combined: files checked + load + first message {load_ms:.0f} ms; intent + entities + signals "
        f"over {len(sample)} messages: median {figures['median_ms']:.2f} ms, "
        f"p99 {figures['p99_ms']:.2f} ms; TF-IDF alone, same sample: median "
        f"{figures['tfidf_median_ms']:.2f} ms, p99 {figures['tfidf_p99_ms']:.2f} ms "
        f"({figures['ratio']}x TF-IDF's median; load average {load} -> {figures['load_average_end']})"
    )
    emit(figures, line, as_json=as_json)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = parser.add_mutually_exclusive_group()
    parts.add_argument("--encoder-only", action="store_true", help="the encoder and the combined model")
    parts.add_argument("--combined-only", action="store_true", help="the combined model only")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI): 200 messages, 30 encoded")
    parser.add_argument("--json", action="store_true", help="one JSON line per part")
    args = parser.parse_args()
    limit, sample = (200, 30) if args.smoke else (None, 600)
    runtimes = ("auto", "numpy") if args.smoke else ("auto", "onnx-fp32", "numpy")
    if not (args.encoder_only or args.combined_only):
        main_tfidf(limit, as_json=args.json)
    if not args.combined_only:
        main_encoder(sample, runtimes, as_json=args.json)
    main_combined(sample, as_json=args.json)


if __name__ == "__main__":
    main()
