"""`rapport model predict` over a backlog of 10,000 messages: wall time of the real command.

The backlog is built from examples/backlog.csv and the customer-message training CSVs, repeated with
variation (greetings, sign-offs, order numbers, amounts, typos, casing), deterministic for a seed.
Each classifier runs the command once in a fresh process (model load included). With the encoder
installed, `--runtimes` runs the `auto` classifier once per encoder runtime named (the numpy reference
in the same run gives the ratio on a machine whose load changes). The TF-IDF run is the reference of
the others: each prints its time as a multiple of TF-IDF's, measured in the same run. Exits non-zero when
a run wrote fewer predictions than rows.

    .venv/bin/python benchmarks/bench_predict.py [--rows 10000] [--seed 7] [--classifier auto|tfidf|both]
        [--runtimes auto,numpy]   # encoder runtimes: auto, onnx-int8, onnx-fp32, numpy
        [--smoke] [--json]        # --smoke: 200 rows; --json: one JSON line per run
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    ROOT / "examples" / "backlog.csv",
    ROOT / "src" / "rapport" / "understanding" / "data" / "customer_messages.csv",
    ROOT / "src" / "rapport" / "understanding" / "data" / "customer_messages_2.csv",
]
GREETINGS = ["", "", "Hi, ", "Hello, ", "Hey there. ", "Good morning, ", "Hi team, "]
SIGN_OFFS = ["", "", " Thanks!", " Thank you.", " Regards, Sam", " Please help.", " Cheers"]
EXTRAS = [
    "",
    "",
    " My order is #{order}.",
    " Order number {order}.",
    " I was charged ${amount} for it.",
    " It cost {amount} euros.",
    " I ordered it in size M.",
    " This is the second time I write.",
]


def messages() -> list[str]:
    """Every message of the sources, in file order."""
    texts: list[str] = []
    for path in SOURCES:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            column = "message" if "message" in (reader.fieldnames or []) else "text"
            texts += [row[column] for row in reader if row[column].strip()]
    return texts


def vary(text: str, rng: random.Random) -> str:
    """One customer's version of a message: greeting, an extra sentence, a typo, a sign-off."""
    extra = rng.choice(EXTRAS).format(order=rng.randint(1000, 99999), amount=rng.randint(5, 300))
    body = text
    if rng.random() < 0.3 and len(body) > 8:  # swap two neighbouring letters
        i = rng.randrange(1, len(body) - 2)
        body = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
    if rng.random() < 0.2:
        body = body.lower()
    return f"{rng.choice(GREETINGS)}{body}{extra}{rng.choice(SIGN_OFFS)}"


def build_backlog(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    source = messages()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ticket_id", "message"])
        for i in range(rows):
            writer.writerow([f"T-{i:05d}", vary(source[i % len(source)], rng)])


# `rapport` with the encoder's runtime chosen before the command loads it (there is no option for it:
# the CLI takes the fastest installed runtime)
ON_RUNTIME = (
    "import sys; import rapport.understanding.encoder as e; e.DEFAULT_RUNTIME = sys.argv.pop(1); "
    "from rapport.cli.main import app; app(prog_name='rapport')"
)


def run_predict(data: Path, out: Path, classifier: str, runtime: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds of one `rapport model predict --classifier CLASSIFIER` process."""
    command = [sys.executable, "-c", ON_RUNTIME, runtime, "model", "predict", "--data", str(data)]
    command += ["--out", str(out), "--classifier", classifier]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--classifier", choices=("auto", "tfidf", "both"), default="both")
    parser.add_argument("--runtimes", default="auto", help="encoder runtimes, comma-separated")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI): 200 rows")
    parser.add_argument("--json", action="store_true", help="one JSON line per run")
    args = parser.parse_args()
    rows = 200 if args.smoke else args.rows
    classifiers = ["tfidf", "auto"] if args.classifier == "both" else [args.classifier]
    runtimes = args.runtimes.split(",")
    runs = [(c, r) for c in classifiers for r in (runtimes if c == "auto" else ["auto"])]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        data, out = Path(folder) / "backlog.csv", Path(folder) / "intents.jsonl"
        build_backlog(data, rows, args.seed)
        for classifier, runtime in runs:
            load_start = [round(x, 2) for x in os.getloadavg()]
            wall, cpu = run_predict(data, out, classifier, runtime)
            lines = sum(1 for _ in out.open(encoding="utf-8"))
            results.append(
                {
                    "benchmark": "predict",
                    "classifier": classifier,
                    "runtime": runtime,
                    "rows": rows,
                    "predictions": lines,
                    "wall_s": round(wall, 2),
                    "cpu_s": round(cpu, 2),
                    "per_second": round(lines / wall, 1),
                    "load_average_start": load_start,
                    "load_average_end": [round(x, 2) for x in os.getloadavg()],
                }
            )
    reference = next((r["wall_s"] for r in results if r["classifier"] == "tfidf"), None)
    for result in results:
        # times longer than TF-IDF's run in this same process (None without a TF-IDF run)
        result["ratio_to_tfidf"] = round(result["wall_s"] / reference, 2) if reference else None
        print(json.dumps(result) if args.json else describe(result))
    short = [r for r in results if r["predictions"] != rows]
    if short:
        raise SystemExit(f"fewer predictions than rows: {short}")


def describe(r: dict[str, Any]) -> str:
    label = (
        f"auto (the encoder when installed, runtime {r['runtime']})" if r["classifier"] == "auto" else "tfidf"
    )
    ratio = f"{r['ratio_to_tfidf']}x TF-IDF's wall time, same run" if r["ratio_to_tfidf"] else "no reference"
    return (
        f"--classifier {label}: {r['predictions']} predictions in {r['wall_s']:.1f} s wall, "
        f"{r['cpu_s']:.1f} s CPU ({r['per_second']:.0f} msg/s; {ratio}; load average "
        f"{r['load_average_start']} -> {r['load_average_end']})"
    )


if __name__ == "__main__":
    main()
