"""`rapport model train|eval|predict`: the lifecycle of the intent model."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from rapport.cli.context import exit_code_for
from rapport.domain.errors import InvalidInput, RapportError

DEFAULT_BITEXT = Path("../shared/data/bitext/bitext_customer_support.csv")

model_app = typer.Typer(help="Train, evaluate and run the intent model.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except RapportError as exc:
        err_console.print(f"error: {exc.message}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code_for(exc)) from None


@model_app.command("train")
def train_cmd(
    data: list[Path] = typer.Option(
        None, "--data", help="Bitext-format CSV(s) (instruction,intent); default ../shared/data/bitext/…"
    ),
    examples: list[Path] = typer.Option(
        None,
        "--examples",
        help="Extra text,intent CSV(s); default: shipped examples + customer messages.",
    ),
    seed: int = typer.Option(7, help="Random seed: the same seed and data give the same model."),
    kind: str = typer.Option(
        "all",
        "--kind",
        help="tfidf, encoder, combined (both, then their combination chosen out of fold), or all "
        "(TF-IDF, then the encoder model and the combination when the encoder is installed).",
    ),
    out: Path = typer.Option(
        None, "--out", help="Where to write the TF-IDF model (default: the packaged artifact)."
    ),
    encoder_out: Path = typer.Option(
        None,
        "--encoder-out",
        help="Where to write the encoder model (default: beside --out, else the packaged artifact).",
    ),
    combined_out: Path = typer.Option(
        None,
        "--combined-out",
        help="Where to write the combination (default: beside --out, else the packaged artifact).",
    ),
) -> None:
    """Train the intent models from Bitext (held-out part excluded) and Rapport's own examples."""
    from rapport.understanding.training import (
        CUSTOMER_CSV,
        EXAMPLES_CSV,
        MODEL_PATH,
        train,
        training_examples,
    )

    with _reported():
        if kind not in ("tfidf", "encoder", "combined", "all"):
            raise InvalidInput(f"--kind {kind!r}: use tfidf, encoder, combined or all")
        sources = data or [DEFAULT_BITEXT]
        for path in sources:
            if not path.exists():
                raise InvalidInput(f"{path}: no such file (pass --data with the Bitext CSV)")
        rows = training_examples(sources, examples or [EXAMPLES_CSV, CUSTOMER_CSV])
        tfidf_target = out or MODEL_PATH
        if kind in ("tfidf", "combined", "all"):
            started = time.perf_counter()
            model = train(rows, seed=seed)
            size = model.save(tfidf_target)
            console.print(
                f"TF-IDF: trained on {len(rows)} messages in {time.perf_counter() - started:.1f}s; "
                f"wrote {tfidf_target} ({size / 1024:.0f} KiB)"
            )
        if kind == "tfidf":
            return
        if out is not None:  # never overwrite the packaged models by surprise
            encoder_out = encoder_out or out.with_name(out.stem + "_encoder.npz")
            combined_out = combined_out or out.with_name(out.stem + "_combined.json")
        encoder = _installed_encoder(required=kind in ("encoder", "combined"))
        if encoder is None:
            return
        encoder_target = _train_encoder(rows, encoder, seed=seed, out=encoder_out)
        if kind != "encoder":
            _choose_combination(rows, encoder, seed=seed, paths=(tfidf_target, encoder_target, combined_out))


def _installed_encoder(*, required: bool):  # type: ignore[no-untyped-def]
    """The encoder, cached per text (training reads the same rows again), or None when not installed."""
    from rapport.understanding.encoder import load_encoder
    from rapport.understanding.model_choice import CachedEmbedder

    encoder = load_encoder()
    if encoder is None:
        message = "the encoder is not installed (pip install -e '.[encoder]'; see docs/understanding.md)"
        if required:
            raise InvalidInput(message)
        console.print(f"encoder model and combination skipped: {message}")
        return None
    return CachedEmbedder(encoder)


def _choose_combination(rows, encoder, *, seed: int, paths: tuple[Path, Path, Path | None]) -> None:  # type: ignore[no-untyped-def]
    """Compare TF-IDF, encoder and their averages in the same folds; write the chosen combination."""
    from rapport.understanding.combined_model import COMBINED_PATH
    from rapport.understanding.model_choice import choose_combination

    tfidf_path, encoder_path, out = paths
    started = time.perf_counter()
    combination, candidates = choose_combination(
        rows, encoder, tfidf_path=tfidf_path, encoder_path=encoder_path, seed=seed
    )
    table = Table(title="out-of-fold, own rows (the same folds for every candidate)")
    for name in ("candidate", "top-1", "log-loss", "ECE", "threshold", "coverage", "kept", "accuracy"):
        table.add_column(name, justify="left" if name == "candidate" else "right")
    for c in candidates:
        table.add_row(
            c.name,
            *(f"{v:.3f}" for v in (c.top1_accuracy, c.log_loss, c.ece)),
            f"{c.threshold:.2f}",
            *(f"{v:.3f}" for v in (c.coverage, c.kept_accuracy, c.accuracy)),
        )
    console.print(table)
    target = out or COMBINED_PATH
    combination.save(target)
    console.print(
        f"chosen: {combination.metadata['chosen']} (temperature {combination.temperature}, threshold "
        f"{combination.threshold}) in {time.perf_counter() - started:.1f}s; wrote {target}"
    )


def _train_encoder(rows, encoder, *, seed: int, out: Path | None) -> Path:  # type: ignore[no-untyped-def]
    from rapport.understanding.encoder_model import ENCODER_MODEL_PATH
    from rapport.understanding.training import encoder_examples, train_encoder

    started = time.perf_counter()
    sample = encoder_examples(rows, seed=seed)
    model = train_encoder(sample, encoder, seed=seed)
    target = out or ENCODER_MODEL_PATH
    size = model.save(target)
    console.print(
        f"encoder: trained on {len(sample)} messages in {time.perf_counter() - started:.1f}s "
        f"(temperature {model.temperature}, threshold {model.threshold}, "
        f"out-of-fold accuracy on own rows {model.metadata.get('oof_accuracy_own') or 0:.3f}); "
        f"wrote {target} ({size / 1024:.0f} KiB)"
    )
    return target


@model_app.command("eval")
def eval_cmd(
    data: Path = typer.Option(..., "--data", help="A labelled CSV."),
    mapping: str = typer.Option(
        "bitext", help="bitext: map Bitext intents (unmapped rows dropped); none: as is."
    ),
    column: str = typer.Option(
        None,
        "--text-column",
        "--column",
        help="The message column (default: instruction or text).",
    ),
    label_column: str = typer.Option("intent", "--label-column", help="The column holding the intent."),
    held_out: bool = typer.Option(
        True, "--held-out/--all-rows", help="With bitext mapping: only the held-out rows the model never saw."
    ),
    model_path: Path = typer.Option(None, "--model", help="A model file (default: the packaged model)."),
    classifier: str = typer.Option(
        "auto", "--classifier", help="auto (what triage uses), combined, encoder, tfidf or keywords."
    ),
) -> None:
    """Accuracy, macro-F1, per-intent scores, confusions and calibration on a labelled CSV."""
    from rapport.understanding.evaluation import calibration, evaluate
    from rapport.understanding.training import BITEXT_MAPPING, is_held_out, read_labelled_csv

    with _reported():
        if mapping not in ("bitext", "none"):
            raise InvalidInput(f"--mapping {mapping!r}: use bitext or none")
        text_column = column or _default_text_column(data)
        rows = read_labelled_csv(
            data,
            text_column=text_column,
            label_column=label_column,
            mapping=BITEXT_MAPPING if mapping == "bitext" else None,
        )
        if mapping == "bitext" and held_out:
            rows = [r for r in rows if is_held_out(r.text)]
        model = _load(model_path, classifier)
        started = time.perf_counter()
        readings = model.classify_many([r.text for r in rows])
        elapsed = time.perf_counter() - started
        truth = [r.intent.value for r in rows]
        result = evaluate(truth, [r.intent.value for r in readings])
        name = getattr(model, "source", "model")
        _print_evaluation(result, title=f"{data} ({result.rows} rows, {name})")
        _print_calibration(calibration(truth, readings))
        console.print(f"{len(rows) / elapsed if elapsed else 0:.0f} messages/s")


def _default_text_column(path: Path) -> str:
    from rapport.understanding.training import _header

    return "instruction" if "instruction" in _header(path) else "text"


TEXT_COLUMNS = ("message", "text", "body", "instruction")  # what `predict` looks for without --column
PREDICT_BATCH = 256  # messages per classify_many call in `predict`


class ColumnNotFound(InvalidInput):
    """The CSV has no column to read the messages from: a usage error (exit 2)."""


@model_app.command("predict")
def predict_cmd(
    data: Path = typer.Option(..., "--data", help="A CSV of messages, with a header row."),
    column: str | None = typer.Option(
        None,
        "--column",
        help=f"The column holding the message (default: the first of {', '.join(TEXT_COLUMNS)}).",
    ),
    out: Path = typer.Option(
        ..., "--out", help="The JSON Lines file to write, one object per row, in order."
    ),
    model_path: Path = typer.Option(None, "--model", help="A model file (default: the packaged model)."),
    classifier: str = typer.Option(
        "auto", "--classifier", help="auto (what triage uses), combined, encoder, tfidf or keywords."
    ),
    batch: int = typer.Option(
        PREDICT_BATCH, "--batch", min=1, help="Messages classified per call (the encoder batches them)."
    ),
) -> None:
    """Classify a backlog in bulk: intent, confidence, language and entities for every row.

    Messages go to the classifier `--batch` at a time (each batch written before the next is read), so
    the encoder runs on batches and memory stays bounded. `--out` into a folder that does not exist is
    an input error (one line, exit 2), found before any work; the folder is not created, so that a
    mistyped path leaves no new directory tree behind."""
    with _reported():
        _check_target(out)
        try:
            texts = read_column(data, column)
        except ColumnNotFound as exc:
            err_console.print(f"error: {exc.message}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        model = _load(model_path, classifier)
        started = time.perf_counter()
        try:
            fh = out.open("w", encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"--out {out}: cannot write ({exc.strerror or exc})") from None
        with fh:
            for first in range(0, len(texts), batch):
                chunk = texts[first : first + batch]
                fh.writelines(
                    _prediction(t, r) + "\n" for t, r in zip(chunk, _classify_many(model, chunk), strict=True)
                )
        console.print(f"wrote {len(texts)} predictions to {out} in {time.perf_counter() - started:.2f}s")


def _classify_many(model, texts: list[str]):  # type: ignore[no-untyped-def]
    """The model's batch call when it has one (the keyword baseline reads one message at a time)."""
    many = getattr(model, "classify_many", None)
    return many(texts) if many is not None else [model.classify(t) for t in texts]


def _prediction(text: str, reading) -> str:  # type: ignore[no-untyped-def]
    """One line of `predict`'s output: the reading, the message's language and its entities."""
    from rapport.understanding.entities import extract_entities
    from rapport.understanding.language import detect_language

    record = {
        "intent": reading.intent.value,
        "confidence": reading.confidence,
        "needs_human": reading.needs_human,
        "language": detect_language(text),
        "entities": [{"kind": e.kind, "value": e.value} for e in extract_entities(text)],
    }
    return json.dumps(record)


def _check_target(out: Path) -> None:
    """`--out` names a file in a folder that exists (InvalidInput otherwise: exit 2)."""
    if not out.parent.is_dir():
        raise InvalidInput(f"--out {out}: no folder {str(out.parent)!r} (create it first)")
    if out.is_dir():
        raise InvalidInput(f"--out {out}: is a folder (name a file)")


def read_column(path: Path, column: str | None) -> list[str]:
    """The messages of one CSV column, in file order: `column`, else the first of TEXT_COLUMNS present.

    Names match exactly, else ignoring case and surrounding spaces; a UTF-8 byte order mark (as spreadsheet
    programs write) is ignored. No such column: ColumnNotFound, listing the columns the file has.
    """
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ColumnNotFound(f"{path}: the file is empty (expected a header row)") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path}:1: not a readable CSV ({exc})") from None
        wanted = (column,) if column is not None else TEXT_COLUMNS
        index = _column_index(header, wanted)
        if index is None:
            found = ", ".join(repr(name) for name in header) or "none"
            if column is not None:
                asked = f"no column {column!r}"
            else:
                asked = f"no message column (looked for {', '.join(TEXT_COLUMNS)})"
            raise ColumnNotFound(f"{path}:1: {asked}; the columns are {found}; pick one with --column NAME")
        try:  # blank lines are no rows; a short row has an empty message
            return [row[index] if index < len(row) else "" for row in reader if row]
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path}:{reader.line_num}: not a readable CSV ({exc})") from None


def _column_index(header: list[str], wanted: tuple[str, ...]) -> int | None:
    for name in wanted:
        if name in header:
            return header.index(name)
        folded = [h.strip().casefold() for h in header]
        if name.strip().casefold() in folded:
            return folded.index(name.strip().casefold())
    return None


CLASSIFIERS = ("auto", "combined", "encoder", "tfidf", "keywords")


def _load(path: Path | None, classifier: str = "auto"):  # type: ignore[no-untyped-def]
    from rapport.understanding.model import IntentModel, load_packaged_model

    if classifier not in CLASSIFIERS:
        raise InvalidInput(f"--classifier {classifier!r}: use {', '.join(CLASSIFIERS)}")
    if classifier == "keywords":
        from rapport.understanding.keywords import KeywordClassifier

        return KeywordClassifier()
    if classifier in ("auto", "combined") and path is None:
        from rapport.understanding.combined_model import load_packaged_combined_model

        combined = load_packaged_combined_model()
        if combined is not None:
            return combined
        if classifier == "combined":
            raise InvalidInput(
                "the combined model is not available (the encoder extra, then `rapport model train`)"
            )
    if classifier in ("auto", "encoder") and path is None:
        from rapport.understanding.encoder_model import load_packaged_encoder_model

        encoder_model = load_packaged_encoder_model()
        if encoder_model is not None:
            return encoder_model
        if classifier == "encoder":
            raise InvalidInput("the encoder model is not available (pip install -e '.[encoder]', then train)")
    if path is not None:
        if classifier == "encoder" or path.suffix == ".npz":
            return _load_encoder_file(path)
        try:
            return IntentModel.load(path)
        except Exception as exc:  # any unreadable file is the user's input problem, reported in one line
            raise InvalidInput(f"{path}: not a readable intent model ({exc})") from None
    model = load_packaged_model()
    if model is None:
        raise InvalidInput("no trained model is packaged; run `rapport model train` first")
    return model


def _load_encoder_file(path: Path):  # type: ignore[no-untyped-def]
    from rapport.understanding.encoder import load_encoder
    from rapport.understanding.encoder_model import EncoderIntentModel

    encoder = load_encoder()
    if encoder is None:
        raise InvalidInput("the encoder is not installed (pip install -e '.[encoder]')")
    try:
        return EncoderIntentModel.load(path, embedder=encoder)
    except Exception as exc:
        raise InvalidInput(f"{path}: not a readable encoder intent model ({exc})") from None


def _print_calibration(cal) -> None:  # type: ignore[no-untyped-def]
    console.print(
        f"top-1 accuracy (no abstention): {cal.top1_accuracy:.3f}   "
        f"coverage: {cal.coverage:.3f}   accuracy when not sent to a human: {cal.covered_accuracy:.3f}   "
        f"ECE: {cal.ece:.3f}"
    )
    table = Table(title="reliability (top candidate)")
    for name in ("confidence", "rows", "mean confidence", "accuracy"):
        table.add_column(name, justify="right")
    for low, high, count, mean_conf, acc in cal.bins:
        table.add_row(f"{low:.1f}-{high:.1f}", str(count), f"{mean_conf:.3f}", f"{acc:.3f}")
    console.print(table)


def _print_evaluation(result, *, title: str) -> None:  # type: ignore[no-untyped-def]
    table = Table(title=title)
    for name in ("intent", "precision", "recall", "F1", "support"):
        table.add_column(name, justify="left" if name == "intent" else "right")
    for s in result.scores:
        table.add_row(s.intent, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support))
    console.print(table)
    console.print(f"macro-F1: {result.macro_f1:.3f}   accuracy: {result.accuracy:.3f}   rows: {result.rows}")
    if result.confusions:
        confusions = Table(title="top confusions")
        for name in ("true intent", "predicted", "count"):
            confusions.add_column(name, justify="right" if name == "count" else "left")
        for true, predicted, count in result.confusions:
            confusions.add_row(true, predicted, str(count))
        console.print(confusions)


def register(app: typer.Typer) -> None:
    """Add `rapport model …` to the application."""
    app.add_typer(model_app, name="model")
