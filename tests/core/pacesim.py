"""A virtual-clock simulation of sessions pacing against one token bucket.

Each simulated session is the pure parts of a real one (``PaceModel``,
``Spacing``, ``Window``) driven by a stepped clock; the server is
FakeTaskade's own ``RateLimiter``, optionally shedding admitted requests at
random, with its rate changed on a schedule and tokens taken by another
consumer. No event loop, no wall-clock windows.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable

import attrs

from taskade_async._pace import PaceModel
from taskade_async._spacing import Spacing, Window
from taskade_async.testing._ratelimit import RateLimiter

RTT = 0.005
STEP = 0.0005


@attrs.define
class Client:
    """One simulated session with endless (or ``calls``) demand."""

    ceiling: float | None = None
    in_flight: int = 64
    calls: int | None = None  #: None: endless demand
    start: float = 0.0  #: when it starts sending
    model: PaceModel = attrs.field(init=False)
    spacing: Spacing = attrs.field(init=False, factory=Spacing)
    window: Window = attrs.field(init=False)
    ready: int = attrs.field(init=False, default=0)  # calls queued now
    waiting: list[float] = attrs.field(init=False, factory=list)  # calls in their Retry-After
    sent: list[tuple[float, bool]] = attrs.field(init=False, factory=list)
    done: int = attrs.field(init=False, default=0)
    finished_at: float | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        self.model = PaceModel(self.ceiling)
        self.window = Window(self.in_flight)
        self.ready = self.calls if self.calls is not None else 1 << 30

    def admitted(self, start: float, end: float) -> float:
        """Admitted requests per second among those sent in [start, end)."""
        return sum(ok for at, ok in self.sent if start <= at < end) / (end - start)

    def refused_share(self) -> float:
        """The share of its requests refused."""
        return sum(not ok for _, ok in self.sent) / max(1, len(self.sent))


@attrs.define
class World:
    """A token bucket and the sessions sharing it, on one virtual clock."""

    rate: float
    burst: int
    clients: list[Client]
    shed: float = 0.0  #: the share of admitted requests refused at random
    shed_retry_after: float | None = 1.0
    retry_after: bool = True  #: the bucket's 429s carry Retry-After
    limit: Callable[[float], float] | None = None  #: the bucket's rate at a time
    other: Callable[[float], float] | None = None  #: another consumer's rate at a time
    seed: int = 1
    rtt: tuple[float, float] = (
        RTT,
        RTT,
    )  #: each answer comes this long (uniform) after its request
    #: each request reaches the server up to this long (uniform) after it left, so that
    #: requests of several sessions arrive out of the order they left in
    jitter: float = 0.0
    now: float = 0.0

    def run(self, seconds: float) -> None:
        """Run for ``seconds`` (or until every finite client is done)."""
        server = RateLimiter(self.rate, self.burst, clock=lambda: self.now)
        rng = random.Random(self.seed)
        lag = random.Random(-self.seed)  # apart: no jitter draws the same as before
        answers: list[tuple[float, int, int, float, bool, float | None]] = []
        arriving: list[tuple[float, int, int, float]] = []

        def decide(i: int, sent_at: float, n: int) -> None:
            """The server's answer to request ``n`` of client ``i``, reaching it now."""
            wait = server.acquire("token")
            ok = wait is None
            retry: float | None = None
            if wait is not None:
                retry = float(max(1, math.ceil(wait))) if self.retry_after else None
            elif self.shed and rng.random() < self.shed:
                ok, retry = False, self.shed_retry_after
            rtt = rng.uniform(*self.rtt) if self.rtt[0] != self.rtt[1] else self.rtt[0]
            heapq.heappush(
                answers, (max(sent_at + rtt, self.now + STEP / 2), n, i, sent_at, ok, retry)
            )
            self.clients[i].sent.append((sent_at, ok))

        seq = 0
        other_due = 0.0
        end = self.now + seconds
        while self.now < end:
            now = self.now
            if self.limit is not None:
                server.rate = self.limit(now)
            if self.other is not None and (other_rate := self.other(now)) > 0:
                while other_due <= now:
                    server.acquire("token")
                    other_due += 1.0 / other_rate
            else:
                other_due = now
            while answers and answers[0][0] <= now:
                _, _, i, sent_at, ok, wait = heapq.heappop(answers)
                c = self.clients[i]
                c.window.active -= 1
                c.model.on_answer(now, sent_at, not ok, wait)
                if ok:
                    c.window.answered()
                    c.done += 1
                else:
                    c.waiting.append(now + (wait or 0.0))
            for i in _order(len(self.clients), seq):
                c = self.clients[i]
                if now < c.start:
                    continue
                if c.waiting:
                    back = [w for w in c.waiting if w <= now]
                    if back:
                        c.waiting = [w for w in c.waiting if w > now]
                        c.ready += len(back)
                while c.ready and _may_go(c, now):
                    rate = c.model.rate(now)
                    c.spacing.depart(now, rate)
                    c.window.active += 1
                    c.ready -= 1
                    seq += 1
                    if self.jitter:
                        heapq.heappush(arriving, (now + lag.uniform(0, self.jitter), seq, i, now))
                    else:
                        decide(i, now, seq)
            while arriving and arriving[0][0] <= now:
                _, n, i, sent_at = heapq.heappop(arriving)
                decide(i, sent_at, n)
            for c in self.clients:
                if c.calls is not None and c.done >= c.calls and c.finished_at is None:
                    c.finished_at = now
            if all(c.calls is not None and c.finished_at is not None for c in self.clients):
                return
            self.now = now + STEP


def _may_go(c: Client, now: float) -> bool:
    model = c.model
    if model.hold_until > now or c.window.full():
        return False
    burst = 2 if model.adapting else 1
    return c.spacing.wait(now, model.rate(now), burst) <= 0.0


def _order(n: int, seq: int) -> list[int]:
    k = seq % n if n else 0
    return list(range(k, n)) + list(range(k))


#: The ideal time of :func:`thirty_percent`: every call retried after exactly its
#: one-second wait, so log(600)/log(1/0.3), about 5.3 rounds of one second.
THIRTY_PERCENT_IDEAL = math.log(600) / math.log(1 / 0.3)


def thirty_percent(seed: int) -> float | None:
    """600 calls to an unlimited server, 30% of them refused at random with
    ``Retry-After: 1``: when the last call was done (None: not within 120 s)."""
    world = World(1e6, 1000, [Client(calls=600)], shed=0.3, seed=seed)
    world.run(120.0)
    return world.clients[0].finished_at


def soak(shed: float, seed: int) -> float | None:
    """1,000 calls to an unlimited server, ``shed`` of them refused at random with
    ``Retry-After: 0``: when the last call was done (None: not within 60 s)."""
    world = World(
        1e6,
        1000,
        [Client(calls=1000)],
        shed=shed,
        shed_retry_after=0.0,
        seed=seed,
        rtt=(0.002, 0.02),
    )
    world.run(60.0)
    return world.clients[0].finished_at
