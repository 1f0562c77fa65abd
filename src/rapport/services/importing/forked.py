"""Parsing in a forked child while this process writes: the two halves of an import cost about the same.

The child reads and checks the file (`prepared.read_chunks`) and sends each chunk through a pipe. A
thread here drains the pipe into a queue of up to `AHEAD` chunks, so the child can parse a whole batch
ahead while this process writes the previous one (the pipe alone holds about one chunk: the child then
waited for each batch to be written, and the two halves barely overlapped); memory stays bounded. The
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
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection

from rapport.domain.errors import portable_error
from rapport.services.importing.prepared import Chunk

try:
    import fcntl
except ImportError:  # Windows (where there is no fork either)
    fcntl = None  # type: ignore[assignment]

# Below this many bytes the fork and the pipe cost more than they save (a few milliseconds).
SMALLEST_FORKED_FILE = 1 << 20
# Chunks received and not yet written, at most: more than a batch (10,000 lines: 10 chunks), ~5 MB.
AHEAD = 32
PIPE_BYTES = 1 << 20


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
    _widen(receiver)
    child = context.Process(target=_run, args=(produce, sender), daemon=True, name="rapport-jsonl-parser")
    child.start()
    sender.close()
    received: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()
    drain = threading.Thread(target=_drain, args=(receiver, received, stop), daemon=True)
    drain.start()
    try:
        yield _unpickled(received)
    finally:
        stop.set()
        if child.is_alive():  # the writer stopped early (an error): the rest of the file is not wanted
            child.terminate()
        child.join()  # its end of the pipe is closed now: the drain sees the end
        drain.join()
        receiver.close()


def _widen(pipe: Connection) -> None:
    """A pipe of 1 MiB where Linux allows it (64 KiB by default): the drain wakes for a chunk at a
    time, not for each 64 KiB of it (each wake takes the GIL from the writer)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if set_size is not None:
        with suppress(OSError):  # a lower limit (/proc/sys/fs/pipe-max-size): keep the default
            fcntl.fcntl(pipe.fileno(), set_size, PIPE_BYTES)


def _run(produce: Callable[[], Iterator[Chunk]], sender: Connection) -> None:
    code = 0
    try:
        for chunk in produce():
            sender.send_bytes(_dumps(("chunk", chunk)))
        sender.send_bytes(_dumps(("done", None)))
    except BrokenPipeError:
        code = 1  # the writer has gone
    except BaseException as exc:  # noqa: BLE001 - handed to the writer, which raises it
        sender.send_bytes(_dumps(("error", portable_error(exc))))
        code = 1
    os._exit(code)


def _drain(receiver: Connection, received: queue.Queue[bytes | None], stop: threading.Event) -> None:
    """Move the child's messages from the pipe to the queue (reading the pipe releases the GIL); None
    at the end of the pipe."""
    message: bytes | None = b""
    while message is not None:
        try:
            message = receiver.recv_bytes()
        except (EOFError, OSError):
            message = None
        while not stop.is_set():
            try:
                received.put(message, timeout=0.1)
                break
            except queue.Full:
                continue
        if stop.is_set():
            return


def _unpickled(received: queue.Queue[bytes | None]) -> Iterator[Chunk]:
    while True:
        message = received.get()
        if message is None:
            raise RuntimeError("the JSON Lines parsing process stopped before the end of the file")
        kind, payload = pickle.loads(message)
        if kind == "done":
            return
        if kind == "error":
            raise payload
        yield payload


def _dumps(message: object) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
