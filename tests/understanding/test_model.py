"""The trained intent model on messages it never saw, and its fallback when unsure."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import pytest
from understanding_builders import FINAL_CSV, unseen_messages

from rapport.domain import Intent
from rapport.understanding.model import IntentModel

BY_INTENT: dict[str, list[str]] = defaultdict(list)
for _text, _intent in unseen_messages():
    BY_INTENT[_intent].append(_text)


@pytest.mark.parametrize("intent", sorted(i.value for i in Intent))
def test_most_unseen_messages_of_each_intent_are_recognised(model: IntentModel, intent: str) -> None:
    texts = BY_INTENT[intent]
    assert texts, f"no unseen test messages for {intent}"
    hits = sum(model.classify(t).intent.value == intent for t in texts)
    assert hits / len(texts) >= 0.5, f"{hits}/{len(texts)} of {intent} recognised"


def test_unseen_messages_are_recognised_overall_at_least_four_times_in_five(model: IntentModel) -> None:
    pairs = unseen_messages()
    hits = sum(model.classify(text).intent.value == intent for text, intent in pairs)
    assert hits / len(pairs) >= 0.8


def test_a_reading_below_the_threshold_is_other_and_needs_a_human(model: IntentModel) -> None:
    unsure = replace(model, threshold=0.999)
    reading = unsure.classify("my mug arrived broken")
    assert (reading.intent, reading.needs_human) == (Intent.OTHER, True)


def test_a_confident_reading_does_not_need_a_human(model: IntentModel) -> None:
    reading = model.classify("I want to cancel my order, I bought it by mistake")
    assert (reading.intent, reading.needs_human, reading.source) == (Intent.CANCEL_ORDER, False, "model")


def test_subscription_cancellation_is_not_an_order_cancellation(model: IntentModel) -> None:
    assert model.classify("cancel my box for next month").intent == Intent.SUBSCRIPTION_CHANGE


def test_a_batch_of_no_messages_gives_no_readings(model: IntentModel) -> None:
    assert model.classify_many([]) == []


def test_loading_the_packaged_model_needs_neither_scikit_learn_nor_scipy() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from rapport.understanding.model import IntentModel; "
        "from rapport.understanding.training import MODEL_PATH; "
        "IntentModel.load(MODEL_PATH).classify('where is my parcel'); "
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_second_set_written_after_all_tuning_is_recognised_nine_times_in_ten(model: IntentModel) -> None:
    pairs = unseen_messages(FINAL_CSV)
    hits = sum(model.classify(text).intent.value == intent for text, intent in pairs)
    assert hits / len(pairs) >= 0.9


def test_words_remembered_from_earlier_messages_do_not_change_a_reading() -> None:
    from rapport.understanding.training import MODEL_PATH

    warm, cold = IntentModel.load(MODEL_PATH), IntentModel.load(MODEL_PATH)
    messages = [text for text, _ in unseen_messages(FINAL_CSV)][:200]
    warm_readings = [warm.classify(m) for m in messages]
    assert warm_readings == [cold.classify(m) for m in reversed(messages)][::-1]
    assert [warm.classify(m) for m in messages] == warm_readings
