"""Sessions of the platform's worker `core` as billmgr.log shows them: one thread, one piece of work."""

from __future__ import annotations

import bisect
import random
from datetime import datetime, timedelta

from .lines import Record
from .timeline import LATE_SECONDS, Session
from .words import (
    ADMIN_FUNCS, CLIENT_FUNCS, ERRORS, INTERNAL_FUNCS, MGR_ROOT, NOTICES, PLATFORM_VERSION,
    PROCESSING_COMMANDS, PROCESSING_MODULES, USERS, backtrace, error_line, error_message, hex_id,
    ip_address, item_id, mgrctl_error, money, select_query, source_ref, xml_error,
)

MAIN_THREAD = 1


class CoreProcesses:
    """Which PID the worker has at a moment (it changes on restarts) and its worker threads."""

    def __init__(self, rng: random.Random, restarts: list[datetime]):
        self.restarts = sorted(restarts)
        self.pids = []
        pid = rng.randint(2100, 380000)
        for _ in range(len(self.restarts) + 1):
            self.pids.append(pid)
            pid += rng.randint(40, 40000)
        self.threads = {pid: [rng.randint(1200, 99000) for _ in range(rng.randint(6, 12))] for pid in self.pids}
        self.busy_until: dict[str, datetime] = {}

    def pid_at(self, moment: datetime) -> int:
        return self.pids[bisect.bisect_right(self.restarts, moment)]

    def worker_key(self, rng: random.Random, moment: datetime) -> str:
        """A worker thread that is idle at `moment`: a thread does one piece of work at a time."""
        pid = self.pid_at(moment)
        keys = [f'{pid}:{thread}' for thread in self.threads[pid]]
        idle = [key for key in keys if self.busy_until.get(key, moment) <= moment]
        return rng.choice(idle or keys)

    def occupy(self, session: list[Record]) -> list[Record]:
        """Mark the session's thread busy until its lines are written, however late they come."""
        if session:
            written = max(record.when for record in session) + timedelta(seconds=LATE_SECONDS[1])
            self.busy_until[session[0].key] = written
        return session

    def main_key(self, moment: datetime) -> str:
        return f'{self.pid_at(moment)}:{MAIN_THREAD}'


class SessionWriter:
    """Collects the records of one session, moving its clock forward a little with each line."""

    def __init__(self, rng: random.Random, start: datetime, key: str):
        self.rng = rng
        self.moment = start
        self.key = key
        self.records: Session = []

    def add(self, logger: str, level: str, message: str, continuation: tuple[str, ...] = (),
            pause: float | None = None) -> None:
        self.records.append(Record(self.moment, self.key, logger, level, message, continuation))
        self.wait(self.rng.uniform(0.0, 0.35) if pause is None else pause)

    def debug(self, logger: str, message: str) -> None:
        """DEBUG lines often carry the source position first."""
        if self.rng.random() < 0.6:
            message = f'{source_ref(self.rng, logger)} {message}'
        self.add(logger, 'DEBUG', message)

    def wait(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


def _request_line(rng: random.Random, func: str) -> str:
    user = rng.choice(USERS)
    params = f'func={func}'
    if rng.random() < 0.5:
        params += f'&elid={item_id(rng)}'
    if rng.random() < 0.3:
        params += '&sok=ok'
    return f"Request [{ip_address(rng)}][{user}] '{params}'"


def _list_result(rng: random.Random) -> tuple[str, ...]:
    rows = tuple(
        f'  <elem><id>{item_id(rng)}</id><status>{rng.choice((1, 2, 2, 2, 3, 5))}</status>'
        f'<cost>{money(rng)}</cost>'
        f'<expiredate>2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</expiredate></elem>'
        for _ in range(rng.randint(1, 5)))
    return ('<?xml version="1.0" encoding="UTF-8"?>', '<doc>', *rows, '</doc>')


def _web_request(rng: random.Random, writer: SessionWriter) -> None:
    func = rng.choice(CLIENT_FUNCS + ADMIN_FUNCS)
    writer.add('core_module', 'INFO', _request_line(rng, func))
    writer.debug('core_module', f"Session '{hex_id(rng)}' level {rng.choice((16, 29))}")
    writer.add('libmgr', 'EXTINFO', f"Run action '{func}'")
    for _ in range(rng.randint(1, 3)):
        writer.debug('db', f'Query: {select_query(rng)}')
    if rng.random() < 0.3:
        writer.add('rpc', 'EXTINFO', f"Query('func={rng.choice(INTERNAL_FUNCS)}&elid={item_id(rng)}')")
    if rng.random() < 0.2:
        writer.add('core_module', 'DEBUG', 'Result:', _list_result(rng))
    else:
        writer.add('core_module', 'EXTINFO', f'Result: ok, {rng.randint(1, 900)} ms')


def _internal_query(rng: random.Random, writer: SessionWriter) -> None:
    func = rng.choice(INTERNAL_FUNCS)
    writer.add('rpc', 'EXTINFO', f"Query('func={func}&elid={item_id(rng)}')")
    writer.debug('db', f'Query: {select_query(rng)}')
    if rng.random() < 0.5:
        writer.debug('libmgr', f"Cache hit '{func}' for {rng.randint(1, 4000)}")
    writer.add('rpc', 'DEBUG', f"{source_ref(rng, 'rpc')} Result ok")


def _processing_call(rng: random.Random, writer: SessionWriter) -> None:
    module = rng.choice(PROCESSING_MODULES)
    command = rng.choice(PROCESSING_COMMANDS)
    item = item_id(rng)
    writer.add('sbin_utils', 'EXTINFO',
               f"Run '{MGR_ROOT}/processing/{module}' --command {command} --item {item}", pause=rng.uniform(0.3, 2.5))
    writer.debug('sbin_utils', f'Process {rng.randint(3000, 400000)} exited with status 0')
    if rng.random() < 0.3:
        writer.add('sbin_utils', 'DEBUG', 'Output:',
                   ('<doc>', f'  <ok/><item>{item}</item><remoteid>{rng.randint(1000, 99999)}</remoteid>', '</doc>'))
    writer.add('processing', 'INFO', f'Item {item} status 5 -> {rng.choice((2, 2, 3))}')


def _payment_check(rng: random.Random, writer: SessionWriter) -> None:
    payment = rng.randint(80000, 99999)
    writer.add('rpc', 'EXTINFO', f"Query('func=paymethod.checkpay&elid={rng.randint(1, 20)}')")
    writer.add('payment', 'EXTINFO', f'Check payment {payment} of {money(rng)} {rng.choice(("RUB", "USD"))}')
    if rng.random() < 0.4:
        writer.add('sbin_utils', 'INFO', f'QUERY: func=payment.setpaid&elid={payment}')
        writer.add('payment', 'INFO', f'Payment {payment} status 2 -> 4')
    else:
        writer.debug('payment', f'Payment {payment} still in pay')


def _notification(rng: random.Random, writer: SessionWriter) -> None:
    writer.add('notify', 'EXTINFO', f"Send notice '{rng.choice(NOTICES)}' to user {rng.randint(1, 40000)}")
    writer.debug('notify', f'Template rendered, {rng.randint(300, 9000)} bytes')
    writer.add('notify', 'INFO', f'Message queued as {hex_id(rng, 12).upper()}')


def _slow_or_stale(rng: random.Random, writer: SessionWriter) -> None:
    choice = rng.randrange(3)
    if choice == 0:
        writer.add('db', 'WARNING', f'Slow query {rng.uniform(1.0, 9.0):.2f} s: {select_query(rng)}')
    elif choice == 1:
        writer.add('libmgr', 'WARNING', f"Lock 'item_{item_id(rng)}' held for {rng.randint(5, 60)} s")
    else:
        writer.add('core_module', 'WARNING', f"Session '{hex_id(rng)}' expired")
    writer.add('core_module', 'EXTINFO', 'Continue')


def _looks_like_error(rng: random.Random, writer: SessionWriter) -> None:
    """Work that quotes an error without being one: grep ' ERROR ' finds it, a parser must not."""
    kind = rng.choice(ERRORS)[0]
    choice = rng.randrange(4)
    if choice == 0:
        writer.add('sbin_utils', 'INFO', f'Command output: {mgrctl_error(kind)}')
    elif choice == 1:
        writer.add('libmgr', 'WARNING', f"Module '{rng.choice(PROCESSING_MODULES)}' answered ERROR 503, will retry")
    elif choice == 2:
        writer.add('rpc', 'EXTINFO', f"Query('func={rng.choice(INTERNAL_FUNCS)}')")
        writer.add('core_module', 'EXTINFO', 'Remote result:',
                   ('<doc>', f'  <msg>Remote call failed: {mgrctl_error(kind)}</msg>', '  <retry>yes</retry>',
                    '</doc>'))
    else:
        writer.add('notify', 'DEBUG', 'Ticket text:',
                   ('  Hello, the panel says', f'  ERROR {kind[0]} when I pay, please help', '  --'))
    writer.add('core_module', 'EXTINFO', 'Continue')


ORDINARY = ((_web_request, 40), (_internal_query, 16), (_processing_call, 10), (_payment_check, 10),
            (_notification, 8), (_slow_or_stale, 7), (_looks_like_error, 5))
_ORDINARY_MAKERS = [maker for maker, _ in ORDINARY]
_ORDINARY_WEIGHTS = [weight for _, weight in ORDINARY]


def failing_work(rng: random.Random, writer: SessionWriter, kind: tuple, with_trace: bool,
                 internal: bool | None = None) -> None:
    """A query that fails with `kind`, and the lines that follow an error in its thread.

    `internal` picks between the platform's own query and a user's request; None draws it.
    """
    _, error_object, error_value = kind
    func = error_value if error_object == 'function' else rng.choice(INTERNAL_FUNCS + ADMIN_FUNCS)
    if internal is None:
        internal = rng.random() < 0.5
    if not internal:
        writer.add('core_module', 'INFO', _request_line(rng, func))
    else:
        writer.add('rpc', 'EXTINFO', f"Query('func={func}&elid={item_id(rng)}')")
    writer.debug('db', f'Query: {select_query(rng)}')
    if with_trace:
        # The stack comes first, one `backtrace EXTINFO` header line per frame (runbook 003).
        for frame in backtrace(rng):
            writer.add('backtrace', 'EXTINFO', frame, pause=0)
    writer.add('libmgr', 'ERROR', error_line(kind))
    writer.debug('db', 'Rollback transaction')
    writer.add('core_module', 'INFO', 'Result:', xml_error(kind, error_message(kind)))


def ordinary_session(rng: random.Random, writer: SessionWriter) -> Session:
    rng.choices(_ORDINARY_MAKERS, _ORDINARY_WEIGHTS)[0](rng, writer)
    return writer.records


def error_session(rng: random.Random, writer: SessionWriter) -> Session:
    failing_work(rng, writer, rng.choice(ERRORS)[0], with_trace=rng.random() < 0.4)
    return writer.records


def restart_session(rng: random.Random, moment: datetime, processes: CoreProcesses) -> Session:
    """The lines of `mgrctl -m billmgr -R`: the old worker stops, a new PID starts."""
    before = moment - timedelta(seconds=1)
    stopping = SessionWriter(rng, before - timedelta(seconds=2), processes.main_key(before))
    stopping.add('core_module', 'INFO', 'Got signal 15, shutting down')
    stopping.add('core_module', 'INFO', 'Waiting for workers to finish')
    starting = SessionWriter(rng, moment, processes.main_key(moment))
    starting.add('core_module', 'INFO', f'Starting billmgr {PLATFORM_VERSION}')
    starting.add('db', 'INFO', "Connected to database 'billmgr'")
    starting.debug('core_module', f'Worker pool of {len(processes.threads[processes.pid_at(moment)])} threads')
    starting.add('core_module', 'INFO', f'Listening on {MGR_ROOT}/var/billmgr.socket')
    return stopping.records + starting.records
