"""The pure pace model, spacing and window: their rules, on a virtual clock."""

from __future__ import annotations

import copy
import heapq
import random
from collections.abc import Callable

import pytest

from taskade_async._pace import DRAW, NOISE_SPAN, SHAVE, UNPACE, PaceModel
from taskade_async._spacing import Spacing, Window


def fed(rate: float, seconds: float, now: float = 100.0) -> tuple[PaceModel, float]:
    """A model that saw ``rate`` admitted answers per second for ``seconds``; and the time."""
    model = PaceModel()
    for _ in range(int(rate * seconds)):
        now += 1.0 / rate
        model.on_answer(now, now - 0.005, False)
    return model, now


def driven(
    model: PaceModel, now: float, seconds: float, refused: Callable[[int, float], bool]
) -> tuple[list[str | None], float]:
    """Requests leave at the model's pace (answered 5 ms later) for ``seconds``; request
    ``i`` sent at pace ``p`` is refused (Retry-After: 1) when ``refused(i, p)``. What the
    model did per answer, and the time."""
    end = now + seconds
    answers: list[tuple[float, float, bool]] = []
    did: list[str | None] = []
    i = 0
    while now < end:
        pace = model.rate(now) or 1000.0
        heapq.heappush(answers, (now + 0.005, now, refused(i, pace)))
        i += 1
        now += 1.0 / pace
        while answers and answers[0][0] <= now:
            at, sent, no = heapq.heappop(answers)
            did.append(model.on_answer(at, sent, no, 1.0 if no else None))
    return did, now


def state(model: PaceModel) -> dict[str, object]:
    """Every slot of ``model``, copied."""
    return {name: copy.deepcopy(getattr(model, name)) for name in PaceModel.__slots__}


def test_reads_change_nothing() -> None:
    """rate(now) read at any time, any number of times, leaves the model as it was."""
    model, now = fed(100.0, 1.0)
    model.on_answer(now, now - 0.005, True, 1.0)
    before = state(model)
    first = [model.rate(now + t / 10) for t in range(100)]
    assert [model.rate(now + t / 10) for t in range(100)] == first
    assert model.admitted_rate(now) == model.admitted_rate(now)
    assert state(model) == before


def test_a_wave_of_429s_is_one_slow_down() -> None:
    """Fifty 429s for requests sent before the first was answered lower the pace once."""
    model, now = fed(100.0, 1.0)
    sent = now - 0.01
    did = [model.on_answer(now + i / 1000, sent, True, 1.0) for i in range(50)]
    assert did.count("slow") == 1
    pace = model.rate(now + 0.05)
    assert pace is not None
    assert 80.0 <= pace <= 100.0  # about what was admitted, once (not 0.9**50 of it)
    assert model.hold_until == 0.0  # a one-second Retry-After holds only its own call


def test_each_429_sent_after_a_slow_down_shaves_the_pace() -> None:
    """A 429 for a request sent after the last slow-down lowers the pace by SHAVE again."""
    model, now = fed(100.0, 1.0)
    assert model.on_answer(now, now - 0.01, True, 1.0) == "slow"
    first = model.rate(now)
    assert first is not None
    for _ in range(20):
        now += 0.01
        model.on_answer(now, now - 0.005, False)
    pace = model.rate(now)
    assert pace is not None
    assert model.on_answer(now, now - 0.001, True, 1.0) == "slow"
    assert model.rate(now) == pytest.approx(pace * (1 - SHAVE))


def test_most_refused_drops_the_pace_to_what_was_admitted() -> None:
    """When the limit drops to a third, the pace drops near it at once, not by SHAVE steps."""
    model, now = fed(100.0, 1.0)
    model.on_answer(now, now - 0.01, True, 1.0)
    pace = model.rate(now) or 0.0
    for i in range(12):  # two in three refused
        now += 1.0 / pace
        model.on_answer(now, now - 0.005, i % 3 != 0, 1.0)
    assert (model.rate(now) or 0.0) < 0.6 * pace


def test_a_long_retry_after_holds_the_session() -> None:
    """A Retry-After beyond one second holds every request, even with answers admitted."""
    model, now = fed(50.0, 1.0)
    model.on_answer(now, now - 0.01, True, 5.0)
    assert model.hold_until == pytest.approx(now + 5.0)


def test_refusals_without_retry_after_and_nothing_admitted_hold_doubling() -> None:
    """No Retry-After and nothing admitted: the session holds, longer each time."""
    model = PaceModel()
    assert model.on_answer(0.0, 0.0, True) == "hold"
    first = model.hold_until
    assert first > 0.0
    assert model.on_answer(first, first, True) == "hold"
    assert model.hold_until - first > first


def test_the_pace_grows_slowly_then_faster_while_nothing_is_refused() -> None:
    """After a slow-down the pace grows a little in the first half second, and 3x in 3.5 s."""
    model, now = fed(100.0, 1.0)
    model.on_answer(now, now - 0.01, True, 1.0)
    pace = model.rate(now) or 0.0
    assert (model.rate(now + 0.5) or 0.0) <= 1.1 * pace
    assert (model.rate(now + 3.5) or 0.0) >= 3.0 * pace


def test_refusals_that_slowing_down_does_not_lower_are_noise() -> None:
    """30% refused whatever the pace: once seen as noise, the pace stops falling."""
    model, now = fed(100.0, 1.0)
    outcomes = [i % 10 in (0, 3, 6) for i in range(2000)]  # 30%, at any pace
    did = []
    for refused in outcomes:
        pace = model.rate(now) or 100.0
        now += 1.0 / pace
        did.append(model.on_answer(now, now - 0.001, refused, 1.0))
    assert "noise" in did
    assert did[-1000:].count("slow") <= 50
    assert model.noise >= 0.2
    assert (model.rate(now) or 1e9) >= 50.0  # not collapsed


@pytest.mark.parametrize("seed", [3, 5, 7])
def test_a_bleed_of_steady_random_refusals_is_noise(seed: int) -> None:
    """10% refused at random whatever the pace, the pace never spread 2x within the guard's
    span: shaved to a DRAW-th with the share unchanged, the model takes it for noise and
    goes back up (it settled at 12-19/s before)."""
    model, now = fed(300.0, 1.0)
    rng = random.Random(seed)
    did, now = driven(model, now, 10.0, lambda i, pace: rng.random() < 0.1)
    assert "noise" in did
    assert model.noise == pytest.approx(0.1, abs=0.03)
    assert (model.rate(now) or 1e9) >= 150.0


def test_a_bleed_with_the_slower_requests_refused_less_is_a_limit() -> None:
    """A bleed at 20% refused, but requests sent below a sqrt(DRAW)-th of the start
    refused 6%: slowing down helped, so no verdict (a limit), and the pace keeps falling."""
    model, now = fed(300.0, 1.0)
    start = model.admitted_rate(now)
    did, now = driven(
        model, now, 10.0, lambda i, pace: i % (5 if pace * pace * DRAW > start * start else 16) == 0
    )
    assert "noise" not in did
    assert model.noise == 0.0
    assert (model.rate(now) or 1e9) < start / DRAW


def test_a_ceiling_is_never_exceeded() -> None:
    """With a ceiling, the pace is the ceiling until a 429, and never above it after."""
    model = PaceModel(10.0)
    assert model.rate(0.0) == 10.0
    for i in range(30):
        model.on_answer(i / 10, i / 10, False)
    model.on_answer(3.0, 2.99, True, 1.0)
    assert all((model.rate(3.0 + t) or 0) <= 10.0 for t in range(60))


def test_spacing_times_the_head_at_the_pace_of_the_moment() -> None:
    """A request waits one slot of the pace it is asked at: a lower pace, a longer wait."""
    spacing = Spacing()
    assert spacing.wait(0.0, 10.0, 1) == 0.0
    spacing.depart(0.0, 10.0)
    assert spacing.wait(0.0, 10.0, 1) == pytest.approx(0.1)
    assert spacing.wait(0.0, None, 1) == 0.0  # unpaced
    assert spacing.wait(0.0, 10.0, 2) == 0.0  # a burst of two


def test_window_opens_by_one_per_answer_up_to_its_limit() -> None:
    """From two in flight, one more per answer, never beyond the limit."""
    window = Window(4)
    assert window.size == 2
    for _ in range(5):
        window.answered()
    assert window.size == 4
    window.active = 4
    assert window.full()
    window.widen()
    assert window.size == 4


def test_a_moment_of_refusals_whatever_the_pace_is_not_taken_for_noise() -> None:
    """Another session starting refuses a slowed session too, for a moment: no verdict
    until the evidence spans NOISE_SPAN seconds (over a shorter sample it said noise)."""
    model, now = fed(300.0, 1.0)
    start = now
    did = []
    i = 0
    while now - start < 0.9 * NOISE_SPAN:
        now += 1.0 / 300.0  # answers keep coming (requests queued before the cuts)
        did.append(model.on_answer(now, now - 0.001, i % 3 == 0, 1.0))
        i += 1
    assert len(did) > 200  # far more answers than the guard's minimum sample
    assert "noise" not in did
    assert model.noise == 0.0


def test_a_steep_cut_does_not_unpace_once_the_pace_regrows_from_it() -> None:
    """Cut to a tenth, the pace regrowing UNPACE times that is still below what the server
    refused: it stays paced (unpaced, the backlog left at once into the limit)."""
    model, now = fed(100.0, 1.0)
    model.on_answer(now, now - 0.01, True, 1.0)  # paced at what was admitted
    pace = model.rate(now) or 0.0
    for _ in range(12):  # all refused: a steep cut
        now += 1.0 / pace
        model.on_answer(now, now - 0.001, True, 1.0)
    cut = model.rate(now) or 0.0
    assert cut < 0.3 * pace
    later = now + 3.0  # the growth reaches UNPACE times the cut pace...
    while (model.rate(later) or 0.0) < UNPACE * cut:
        later += 0.1
        assert later < now + 30.0
    assert model.rate(later) is not None  # ...and the session is still paced


def test_a_few_429s_saying_retry_now_do_not_slow_the_session() -> None:
    """4% refused with Retry-After: 0 (a gateway shedding load): never a slow-down."""
    model, now = fed(500.0, 1.0)
    did = [
        model.on_answer(now + i / 500, now + i / 500 - 0.002, i % 25 == 0, 0.0) for i in range(5000)
    ]
    assert set(did) == {None}
    assert model.unpaced


def test_many_429s_saying_retry_now_still_slow_the_session() -> None:
    """A server that refuses a third of the requests with Retry-After: 0 is still a limit."""
    model, now = fed(500.0, 1.0)
    did = []
    for i in range(600):
        pace = model.rate(now) or 500.0
        now += 1.0 / pace
        did.append(model.on_answer(now, now - 0.002, i % 3 == 0, 0.0))
    assert "slow" in did
    assert not model.unpaced


def test_unpaced_is_kept_in_step_with_the_pace() -> None:
    """``unpaced`` (an attribute, read per request) is False from the first slow-down until the
    pace has grown back past the point of unpacing, then True again; always a ceiling's False."""
    model, now = fed(100.0, 1.0)
    seen = [(model.unpaced, model.rate(now) is None)]
    model.on_answer(now, now - 0.01, True, 1.0)
    seen.append((model.unpaced, model.rate(now) is None))
    later = now + 60.0
    model.on_answer(later, later - 0.005, False)
    seen.append((model.unpaced, model.rate(later) is None))
    assert seen == [(True, True), (False, False), (True, True)]
    assert not PaceModel(10.0).unpaced
