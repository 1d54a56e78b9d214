"""billmgr.log: the live file, its rotated archives and the error burst of the last hour."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from .core import CoreProcesses, SessionWriter, error_session, failing_work, ordinary_session, restart_session
from .lines import Record, as_logged
from .plan import LogPlan, LogWindow
from .timeline import Session, fill, interleave
from .words import error_line

ERROR_SESSION_SHARE = 0.03
BURST_WINDOW = timedelta(minutes=58)  # inside the last hour with room to spare
BURST_END_GAP = timedelta(seconds=90)
BURST_LIMIT = 2000  # more failing queries than this do not fit one thread in an hour
CLOSING_GAP = timedelta(seconds=90)  # ordinary sessions end this long before now; closing lines fill it
RESTART_QUIET = timedelta(hours=3)  # no restart in the last hours, so the burst's PID is the newest


@dataclass
class ArchivePart:
    name: str  # billmgr.log-YYYYMMDD-HHMMSS.N.gz [assumed form]
    records: list[Record]
    rotated_at: datetime


@dataclass
class BillmgrLog:
    live: list[Record]
    archives: list[ArchivePart]  # oldest first
    burst: dict | None


def archive_name(rotated_at: datetime, sequence: int) -> str:
    return f'billmgr.log-{rotated_at:%Y%m%d-%H%M%S}.{sequence}.gz'


def rotation_record(moment: datetime, key: str, name: str) -> Record:
    return Record(moment, key, 'core_module', 'INFO', f'Log rotated, previous part saved as logs/{name}')


def _restart_times(rng: random.Random, oldest: datetime, now: datetime, boundaries: list[datetime]) -> list[datetime]:
    first, last = oldest + timedelta(hours=1), now - RESTART_QUIET
    if last <= first:
        return []
    wanted = max(1, int((now - oldest).total_seconds() // (60 * 3600)))
    times: list[datetime] = []
    while len(times) < wanted:
        moment = first + (last - first) * rng.random()
        # A restart right on a rotation would split its lines over two files.
        if all(abs(moment - boundary) > timedelta(minutes=5) for boundary in boundaries):
            times.append(moment.replace(microsecond=0))
    return sorted(times)


def _session_maker(processes: CoreProcesses):
    def make(rng: random.Random, moment: datetime, allow_error: bool) -> Session:
        writer = SessionWriter(rng, moment, processes.worker_key(rng, moment))
        if allow_error and rng.random() < ERROR_SESSION_SHARE:
            return processes.occupy(error_session(rng, writer))
        return processes.occupy(ordinary_session(rng, writer))
    return make


def _burst(rng: random.Random, plan: LogPlan, processes: CoreProcesses) -> tuple[Session, dict | None]:
    count = plan.error_burst
    if count == 0:
        return [], None
    if count > BURST_LIMIT:
        raise ValueError(f'error_burst of {count} does not fit one thread in an hour (at most {BURST_LIMIT})')
    kind = tuple(plan.error_burst_error)
    first_slot = plan.now - BURST_END_GAP - BURST_WINDOW
    slot = BURST_WINDOW / count
    writer = SessionWriter(rng, first_slot, processes.worker_key(rng, plan.now))
    for number in range(count):
        writer.moment = max(writer.moment, first_slot + slot * number + slot * 0.2 * rng.random())
        failing_work(rng, writer, kind, with_trace=rng.random() < 0.3, internal=True)
    # Nothing else runs in the burst's thread until it is over: grepping the thread shows the burst.
    processes.busy_until[writer.key] = writer.records[-1].when
    errors = [record for record in writer.records if record.level == 'ERROR']
    summary = {
        'log': 'billmgr.log',
        'thread': writer.key,
        'error': kind,
        'error_type': kind[0],
        'message': error_line(kind),
        'count': len(errors),
        'first': as_logged(errors[0].when),
        'last': as_logged(errors[-1].when),
    }
    return writer.records, summary


def _closing(rng: random.Random, plan: LogPlan, processes: CoreProcesses) -> Session:
    """The newest lines: the every-five-minutes checkevent, ending at or just before now."""
    writer = SessionWriter(rng, plan.now - timedelta(seconds=rng.uniform(1.5, 3.0)),
                           processes.worker_key(rng, plan.now))
    writer.add('rpc', 'EXTINFO', "Query('func=checkevent')", pause=rng.uniform(0.2, 1.0))
    writer.debug('itemevent', f'{rng.randint(0, 3)} events waiting')
    writer.add('rpc', 'DEBUG', 'Result ok')  # pauses above add up to less than the 1.5 s of lead
    return writer.records


def _part(rng: random.Random, start: datetime, end: datetime, target: int, window: LogWindow,
          processes: CoreProcesses, restarts: list[datetime], on_time: list[Session]) -> list[Record]:
    sessions = fill(rng, start, end, target, _session_maker(processes), window.error_cutoff)
    restarting = [restart_session(rng, moment, processes) for moment in restarts if start <= moment < end]
    return interleave(rng, sessions, restarting + on_time)


def build_billmgr(plan: LogPlan, window: LogWindow) -> BillmgrLog:
    rng = random.Random(f'{plan.seed}:billmgr.log')
    part_span = window.span
    oldest = window.start - part_span * plan.rotated_archives
    boundaries = [window.start - part_span * number for number in range(plan.rotated_archives + 1)]
    restarts = _restart_times(rng, oldest, plan.now, boundaries)
    processes = CoreProcesses(rng, restarts)

    archives: list[ArchivePart] = []
    for sequence in range(1, plan.rotated_archives + 1):
        start = oldest + part_span * (sequence - 1)
        records = _part(rng, start, start + part_span, plan.size_bytes, window, processes, restarts, [])
        if archives:
            records.insert(0, rotation_record(start, processes.main_key(start), archives[-1].name))
        rotated_at = start + part_span
        archives.append(ArchivePart(archive_name(rotated_at, sequence), records, rotated_at))

    burst_records, burst = _burst(rng, plan, processes)
    closing = _closing(rng, plan, processes)
    live = _part(rng, window.start, plan.now - CLOSING_GAP, plan.size_bytes, window, processes, restarts,
                 [burst_records, closing])
    if archives:
        live.insert(0, rotation_record(window.start, processes.main_key(window.start), archives[-1].name))
    return BillmgrLog(live=live, archives=archives, burst=burst)
