"""The best installed classifier is loaded once per process, even when many threads ask for it at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from rapport.understanding import combined_model, reading
from rapport.understanding.keywords import KeywordClassifier


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    reading._best_installed_classifier.cache_clear()
    yield
    reading._best_installed_classifier.cache_clear()  # the next test loads the real models again


def test_threads_that_all_need_the_model_at_once_wait_for_one_load(
    fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[int] = []
    model = KeywordClassifier()

    def slow_load() -> KeywordClassifier:
        loads.append(threading.get_ident())
        time.sleep(0.2)  # long enough for every thread to arrive while the first one loads
        return model

    monkeypatch.setattr(combined_model, "load_packaged_combined_model", slow_load)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(reading.default_classifier())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
    assert got == [model] * 8
