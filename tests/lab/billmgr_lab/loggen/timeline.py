"""Spreading sessions of log records over a time frame and interleaving their threads."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from .lines import Record

# A session is the run of records one thread writes for one piece of work.
Session = list[Record]
SessionMaker = Callable[[random.Random, datetime, bool], Session]

# Errors must stay clear of the cutoff even when the session that holds them runs long.
ERROR_MARGIN = timedelta(minutes=2)
CLUSTER_SIZES = (1, 2, 3, 4, 6)
CLUSTER_WEIGHTS = (30, 25, 20, 15, 10)
CLUSTER_SECONDS = 3.0
MEAN_CLUSTER = sum(size * weight for size, weight in zip(CLUSTER_SIZES, CLUSTER_WEIGHTS)) / sum(CLUSTER_WEIGHTS)
# Share of sessions whose lines reach the file a little late, behind other threads' later lines.
LATE_SHARE = 0.12
LATE_SECONDS = (0.5, 4.0)


def record_size(record: Record) -> int:
    """Bytes of the rendered record without colour; close enough to steer a log's size."""
    size = 22 + len(record.key) + len(record.logger) + len(record.level) + len(record.message)
    return size + sum(len(line) + 1 for line in record.continuation)


def session_size(session: Session) -> int:
    return sum(record_size(record) for record in session)


def fill(rng: random.Random, start: datetime, end: datetime, target_bytes: int,
         make_session: SessionMaker, error_cutoff: datetime | None = None) -> list[Session]:
    """Sessions at increasing times in [start, end] adding up to about target_bytes.

    Work comes in clusters (a page load, a cron tick) of sessions on several threads that start
    within seconds of each other, so that even a sparse log shows threads interleaving. The gap to
    the next cluster is drawn from what is left of both the time and the byte budget, so the log
    ends near `end` at about the size asked for, whatever the sessions weigh.
    """
    sessions: list[Session] = []
    produced = 0
    moment = start + timedelta(seconds=rng.uniform(0.0, 5.0))
    while moment < end:
        cluster = rng.choices(CLUSTER_SIZES, CLUSTER_WEIGHTS)[0]
        for offset in sorted(rng.uniform(0.0, CLUSTER_SECONDS) for _ in range(cluster)):
            begin = moment + timedelta(seconds=offset)
            allow_error = error_cutoff is None or begin + ERROR_MARGIN < error_cutoff
            session = make_session(rng, begin, allow_error)
            if max(record.when for record in session) > end:
                return sessions
            sessions.append(session)
            produced += session_size(session)
        average = produced / len(sessions) * MEAN_CLUSTER  # bytes of an average cluster
        left_bytes = max(target_bytes - produced, average)
        mean_gap = (end - moment).total_seconds() * average / left_bytes
        moment += timedelta(seconds=rng.expovariate(1.0 / max(mean_gap, 0.001)))
    return sessions


def interleave(rng: random.Random, sessions: Sequence[Session], on_time: Sequence[Session] = ()) -> list[Record]:
    """All records in file order: by time, some sessions a few seconds late, never across New Year.

    Sessions in `on_time` are never late (the error burst and the log's closing lines).
    """
    keyed = []
    for number, (session, may_be_late) in enumerate(
            [(session, True) for session in sessions] + [(session, False) for session in on_time]):
        late = 0.0
        if may_be_late and rng.random() < LATE_SHARE:
            late = rng.uniform(*LATE_SECONDS)
        for position, record in enumerate(session):
            # A late December line printed after a January one would break year inference.
            year_end = datetime(record.when.year, 12, 31, 23, 59, 59, 999999)
            written = min(record.when + timedelta(seconds=late), year_end)
            keyed.append((written, number, position, record))
    keyed.sort(key=lambda item: item[:3])
    return [item[3] for item in keyed]
