"""Parsing in a forked child while this process writes: the two halves of an import cost about the same.

The child reads and checks the file (`prepared.read_chunks`) and sends each chunk through a pipe; the
pipe holds about one chunk, so the child stays at most a chunk or two ahead and memory stays flat. The
child never touches the database (it inherits the parent's connections and leaves them alone), and
leaves with `os._exit`: no flushing of inherited stdio, no finalizers of the parent's objects.

Chunks are pickled with the memo: pydantic hands out one object for each repeated short string (a
status, a currency, a product title), which the memo sends once; without it (`Pickler.fast`) pickling
took 0.06 s instead of 0.11 s for 117,780 lines, but unpickling here 0.52 s instead of 0.20 s.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection

from rapport.services.importing.prepared import Chunk

# Below this many bytes the fork and the pipe cost more than they save (a few milliseconds).
SMALLEST_FORKED_FILE = 1 << 20


def can_fork() -> bool:
    """Forking is available (Linux, macOS) and this process may run on two cores or more: on one, the
    child would only add the cost of handing the lines over."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores >= 2


@contextmanager
def chunks_from_child(produce: Callable[[], Iterator[Chunk]]) -> Iterator[Iterator[Chunk]]:
    """The chunks `produce()` yields, produced in a forked process and received here."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_run, args=(produce, sender), daemon=True, name="rapport-jsonl-parser")
    child.start()
    sender.close()
    try:
        yield _received(receiver)
    finally:
        receiver.close()
        if child.is_alive():  # the writer stopped early (an error): the rest of the file is not wanted
            child.terminate()
        child.join()


def _run(produce: Callable[[], Iterator[Chunk]], sender: Connection) -> None:
    code = 0
    try:
        for chunk in produce():
            sender.send_bytes(_dumps(("chunk", chunk)))
        sender.send_bytes(_dumps(("done", None)))
    except BrokenPipeError:
        code = 1  # the writer has gone
    except BaseException as exc:  # noqa: BLE001 - handed to the writer, which raises it
        sender.send_bytes(_dumps(("error", _portable(exc))))
        code = 1
    os._exit(code)


def _received(receiver: Connection) -> Iterator[Chunk]:
    while True:
        try:
            kind, payload = pickle.loads(receiver.recv_bytes())
        except EOFError:
            raise RuntimeError("the JSON Lines parsing process stopped before the end of the file") from None
        if kind == "done":
            return
        if kind == "error":
            raise payload
        yield payload


def _dumps(message: object) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def _portable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any failure means: send the text instead
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
