"""The smaller platform logs: ihttpd.log, mgrctl.log and the tab-separated billmgr.auth.log."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .core import SessionWriter
from .lines import Record, stamp
from .plan import LogPlan, LogWindow
from .timeline import ERROR_MARGIN, Session, fill, interleave
from .words import (
    ADMIN_FUNCS, CLIENT_FUNCS, MGR_ROOT, USERS, error_line, ip_address, item_id, mgrctl_error,
)

ERROR_SESSION_SHARE = 0.02
IHTTPD_SHARE = 6  # ihttpd.log is about a sixth of billmgr.log
MGRCTL_SHARE = 5
AUTH_SHARE = 24
CHECKEVENT_EVERY = timedelta(minutes=5)  # the reselling runbooks' cron line
IHTTPD_ERRORS = ('SSL_accept failed: error:0A00006C:SSL routines::bad key share',
                 f'Upstream {MGR_ROOT}/var/billmgr.socket: connection refused',
                 'Cannot read request: connection reset by peer')
MGRCTL_ERRORS = (('missed', 'elid', ''), ('missed', 'currency', ''), ('access', 'func', 'user.delete'))


def _ihttpd_maker(pid: int, threads: list[int]):
    def make(rng: random.Random, moment: datetime, allow_error: bool) -> Session:
        writer = SessionWriter(rng, moment, f'{pid}:{rng.choice(threads)}')
        client = ip_address(rng)
        writer.add('ihttpd', 'INFO', f'Accept connection from {client}:{rng.randint(1025, 65535)}')
        if allow_error and rng.random() < ERROR_SESSION_SHARE:
            writer.add('ssl' if rng.random() < 0.5 else 'ihttpd', 'ERROR', rng.choice(IHTTPD_ERRORS))
            writer.add('ihttpd', 'INFO', f'Close connection from {client}')
            return writer.records
        func = rng.choice(CLIENT_FUNCS + ADMIN_FUNCS)
        writer.debug('ihttpd', f"Request 'GET /billmgr?func={func}&out=xml HTTP/1.1'")
        writer.add('ihttpd', 'EXTINFO', f'Proxy to {MGR_ROOT}/var/billmgr.socket')
        roll = rng.random()
        if roll < 0.05:
            writer.add('ihttpd', 'WARNING', f'Connection from {client} closed by peer')
        elif roll < 0.08:
            # A browser's console report passed through: text with ERROR in a line that is not one.
            writer.add('ihttpd', 'INFO', f'Client log from {client}: JS ERROR Uncaught TypeError in app.js')
        status = rng.choice((200, 200, 200, 200, 302, 304, 403))
        writer.add('ihttpd', 'INFO',
                   f'Response {status} length {rng.randint(120, 90000)} time {rng.uniform(0.002, 1.2):.3f}')
        return writer.records
    return make


def build_ihttpd(plan: LogPlan, window: LogWindow) -> list[Record]:
    rng = random.Random(f'{plan.seed}:ihttpd.log')
    pid = rng.randint(600, 3000)  # a service started at boot keeps a low PID
    threads = [rng.randint(600, 3000) for _ in range(4)]
    sessions = fill(rng, window.start, window.now - timedelta(seconds=5), plan.size_bytes // IHTTPD_SHARE,
                    _ihttpd_maker(pid, threads), window.error_cutoff)
    return interleave(rng, sessions)


def _mgrctl_call(rng: random.Random, moment: datetime, command: str, error: tuple | None) -> Session:
    writer = SessionWriter(rng, moment, f'{rng.randint(2100, 400000)}:1')
    writer.add('mgrctl', 'INFO', f"Run 'mgrctl -m billmgr {command}'")
    writer.add('mgrctl', 'EXTINFO', f"Query('func={command.split()[0]}')")
    writer.debug('mgrctl', f'Connected to {MGR_ROOT}/var/billmgr.socket')
    if error is None:
        writer.add('mgrctl', 'INFO', 'Result: ok')
    else:
        writer.add('mgrctl', 'ERROR', error_line(error))
        writer.add('mgrctl', 'INFO', f'Output: {mgrctl_error(error)}')
    return writer.records


def build_mgrctl(plan: LogPlan, window: LogWindow) -> list[Record]:
    """Every five minutes cron's checkevent, now and then an administrator's call, newest first."""
    rng = random.Random(f'{plan.seed}:mgrctl.log')
    budget = plan.size_bytes // MGRCTL_SHARE
    mark = plan.now.replace(minute=plan.now.minute - plan.now.minute % 5, second=0, microsecond=0)
    sessions: list[Session] = []
    while budget > 0 and mark >= window.start:
        calls = [(mark + timedelta(seconds=rng.uniform(0.1, 1.5)), 'checkevent')]
        if rng.random() < 0.08:
            command = rng.choice(('whoami', 'paymethod.checkpay', f'pricelist.sync elid={rng.randint(1, 40)}',
                                  f'item.edit elid={item_id(rng)}'))
            calls.append((mark + timedelta(seconds=rng.uniform(20, 280)), command))
        for moment, command in calls:
            allow_error = command != 'checkevent' and moment + ERROR_MARGIN < window.error_cutoff
            session = _mgrctl_call(rng, moment, command,
                                   rng.choice(MGRCTL_ERRORS) if allow_error and rng.random() < 0.3 else None)
            if session[-1].when <= plan.now:
                sessions.append(session)
                budget -= sum(len(record.message) + 40 for record in session)
        mark -= CHECKEVENT_EVERY
    return interleave(rng, [], sessions)


def render_auth(record: Record, style=None, stamp_text: str | None = None) -> str:
    """billmgr.auth.log: time, address, user, method, result, tab-separated [assumed columns]."""
    return f'{stamp_text or stamp(record.when)}\t{record.key}\t{record.logger}\t{record.message}\t{record.level}\n'


def _auth_maker(rng: random.Random, moment: datetime, allow_error: bool) -> Session:
    result = 'failed' if rng.random() < 0.12 else 'success'
    method = rng.choice(('password', 'password', 'session', 'key'))
    return [Record(moment, ip_address(rng), rng.choice(USERS), result, method)]


def build_auth(plan: LogPlan, window: LogWindow) -> list[Record]:
    rng = random.Random(f'{plan.seed}:billmgr.auth.log')
    return interleave(rng, [], fill(rng, window.start, window.now - timedelta(seconds=3),
                                    plan.size_bytes // AUTH_SHARE, _auth_maker))
