"""billmaintain.log: the daily statdaily/billdaily runs and the services they stop early."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from .core import SessionWriter
from .lines import Record, as_logged
from .plan import EarlyStop, LogPlan, LogWindow
from .timeline import ERROR_MARGIN, interleave
from .words import PLATFORM_VERSION, error_line, error_message, money, xml_error

RUN_AT = time(0, 17)  # cron starts billmaintain a little after midnight [assumed time]
EXTRA_DAYS = 4  # billmaintain.log is small and rotates rarely, so it reaches further back
# Upper bound of a run's length: lead-in, then two queries per item, each under 4 s.
RUN_LEAD_SECONDS = 10
ITEM_SECONDS = 8
BASELINE_ERROR_SHARE = 0.2
# Errors a daily run may hit without stopping anything (the causes of early stops are not among them).
ROUTINE_ERRORS = (('value', 'currency', ''), ('missed', 'processingmodule', '7'),
                  ('notconfigured', 'processingmodule', '3'))
NOT_ENOUGH_MONEY = ('not_enough_money', '', '')
ADDON_OVER_LIMIT = ('stat_addon_over_limit', '', '')


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def stop_params(rng: random.Random, stop: EarlyStop) -> dict[str, str]:
    """The params the stop's XML error shows: the plan's values, plausible ones where it gave none."""
    amount = stop.amount or money(rng, 300.0, 4000.0)
    have, deficit = stop.have, stop.deficit
    if not have:
        have = f'{_decimal(amount) * rng.randint(0, 60) / 100:.2f}' if _decimal(amount) is not None else '0.00'
    if not deficit:
        amount_value, have_value = _decimal(amount), _decimal(have)
        deficit = f'{amount_value - have_value:.2f}' if None not in (amount_value, have_value) else amount
    return {'amount': amount, 'have': have, 'currency': stop.currency or 'RUB',
            'deficit': deficit, 'limit': stop.limit or '0.00'}


# The frames runbook 003 shows under a not_enough_money error of the daily billing.
BILLDAILY_FRAMES = (
    ('mgr_client::Result::Result(mgr_xml::Xml const&, bool, bool)', 'lib/libmgr.so.5.246.2', 0x370),
    ('mgr_client::Local::DoQuery(std::string const&)', 'lib/libmgr.so.5.246.2', 0x5d6),
    ('mgr_client::Client::Query(std::string const&)', 'lib/libmgr.so.5.246.2', 0x42b),
    ('sbin::ClientQuery(std::string const&)', 'libexec/billmaintain.so', 0x4a),
    ('sbin::ClientQuerySafe(std::string const&)', 'libexec/billmaintain.so', 0x5f),
    ('BillItem(int, bool, std::string const&)', 'libexec/billmaintain.so', 0x10f),
    ('BillDaily()', 'libexec/billmaintain.so', 0xadb),
    ('???', 'libexec/billmaintain.so', 0x2090),
    ('???', '/usr/local/mgr5/sbin/billmaintain', 0x0),
    ('???', '/lib64/libc.so.6', 0xf5),
)
# The group text of the error, with the platform's placeholders, as runbook 003 shows it.
MONEY_GROUP = ('insufficient funds to complete the operation. Required amount  __amount__ __currency__. '
               'Your current balance: __have__ __currency__, credit limit __limit__ ')


def money_result_xml(params: dict[str, str], func: str = 'service.billdaily') -> str:
    """The one-line <doc> a not_enough_money error carries in its `Result xml:` record (runbook 003)."""
    message = MONEY_GROUP
    for name in ('amount', 'currency', 'have', 'limit'):
        message = message.replace(f'__{name}__', params[name])
    shown = list(params.items()) + [('reserved', '0.00'), ('available', params['have'])]
    return ('<doc><error type="not_enough_money" lang="en" code="1">'
            + ''.join(f'<param name="{name}">{value}</param>' for name, value in shown)
            + f'<stack><action level="30" user="root">{func}</action></stack>'
            + f'<group>{MONEY_GROUP}</group><msg>{message}</msg></error></doc>')


def _backtrace(rng: random.Random, writer: SessionWriter) -> None:
    """One `backtrace EXTINFO` header line per frame, the last one with a (nil) address."""
    for name, library, offset in BILLDAILY_FRAMES:
        writer.add('backtrace', 'EXTINFO', f'{name} ({library} + {offset:#x}) [*0x7f{rng.randrange(0x10000000, 0xffffffff):08x}]',
                   pause=0.0)
    writer.add('backtrace', 'EXTINFO', '??? (/usr/local/mgr5/sbin/billmaintain + 0x0) [*(nil)]', pause=0.0)


def _write_stop(rng: random.Random, writer: SessionWriter, stop: EarlyStop) -> dict:
    """The stop's lines, right after its item's query, as runbook 003 shows them; returns what the
    summary reports."""
    when = writer.moment
    if stop.reason == 'not_enough_money':
        params = stop_params(rng, stop)
        writer.add('rpc', 'DEBUG', 'mgrclient.cpp:215 Result xml: <?xml version="1.0" encoding="UTF-8"?>',
                   (money_result_xml(params), ''), pause=0.0)
        _backtrace(rng, writer)
        writer.add('libmgr', 'ERROR', error_line(NOT_ENOUGH_MONEY), pause=1.0)
    else:
        params = {'limit': stop.limit} if stop.limit else {}
        writer.add('libmgr', 'ERROR', error_line(ADDON_OVER_LIMIT), pause=1.0)
    writer.add('sbin_utils', 'INFO', f'QUERY: func=service.autosuspend&item={stop.item}&stat=on')
    return {'item': stop.item, 'reason': stop.reason, 'time': as_logged(when), 'thread': writer.key, 'params': params}


def statdaily_query(item: int, day: datetime) -> str:
    """`service.statdaily` as billmaintain calls it: the day of the statistics, dashes URL-encoded."""
    return f"Query('func=service.statdaily&item={item}&statdate={day:%Y%%2D%m%%2D%d}')"


def _statdaily(rng: random.Random, writer: SessionWriter, item: int, error_cutoff: datetime,
               error_left: list[bool], stops: list[EarlyStop], stopped: list[dict]) -> None:
    writer.add('rpc', 'EXTINFO', statdaily_query(item, writer.moment - timedelta(days=1)))
    item_stops = [stop for stop in stops if stop.item == item and stop.reason == 'stat_addon_over_limit']
    if item_stops:
        stopped.extend(_write_stop(rng, writer, stop) for stop in item_stops)
        return
    if error_left[0] and writer.moment + ERROR_MARGIN < error_cutoff and rng.random() < BASELINE_ERROR_SHARE:
        error_left[0] = False
        kind = rng.choice(ROUTINE_ERRORS)
        writer.add('libmgr', 'ERROR', error_line(kind))
        writer.add('rpc', 'EXTINFO', 'Query result:', xml_error(kind, error_message(kind)))
        return
    writer.debug('libmgr', f'Item {item}: traffic {rng.uniform(0, 900):.1f} GiB, disk {rng.randint(1, 200)} GiB')
    writer.add('db', 'DEBUG', f'INSERT INTO itemstat (item, statdate, value) VALUES ({item}, CURDATE(), '
                              f'{rng.randint(0, 99999)})')


def _billdaily(rng: random.Random, writer: SessionWriter, item: int) -> None:
    writer.debug('billing', f'Item {item}: overage {money(rng, 0.0, 90.0)} RUB for the day')
    writer.add('db', 'DEBUG', f'INSERT INTO expense (item, amount) VALUES ({item}, {money(rng, 0.0, 90.0)})')
    if rng.random() < 0.1:
        writer.add('billing', 'WARNING', f'Item {item}: no statistics for the day, billed as zero')


def _daily_run(rng: random.Random, start: datetime, items: list[int], stops: list[EarlyStop],
               error_cutoff: datetime, stopped: list[dict]) -> list[Record]:
    writer = SessionWriter(rng, start, f'{rng.randint(2100, 400000)}:1')
    writer.add('core_module', 'INFO', f'billmaintain {PLATFORM_VERSION} started')
    writer.add('db', 'EXTINFO', "Connected to database 'billmgr'")
    error_left = [True]
    for item in items:
        _statdaily(rng, writer, item, error_cutoff, error_left, stops, stopped)
    for item in items:
        writer.add('rpc', 'EXTINFO', f"Query('func=service.billdaily&item={item}&from=daily')")
        item_stops = [stop for stop in stops if stop.item == item and stop.reason == 'not_enough_money']
        for stop in item_stops:
            stopped.append(_write_stop(rng, writer, stop))
        if not item_stops:
            _billdaily(rng, writer, item)
    writer.add('core_module', 'INFO', f'billmaintain finished, {len(items)} items')
    return writer.records


def _stop_at(rng: random.Random, stop: EarlyStop, stopped: list[dict]) -> list[Record]:
    """A stop the plan placed at a set time: its own billmaintain process around that moment."""
    writer = SessionWriter(rng, stop.when - timedelta(seconds=1), f'{rng.randint(2100, 400000)}:1')
    if stop.reason == 'stat_addon_over_limit':
        writer.add('rpc', 'EXTINFO', statdaily_query(stop.item, stop.when - timedelta(days=1)), pause=1.0)
    else:
        writer.add('rpc', 'EXTINFO', f"Query('func=service.billdaily&item={stop.item}&from=daily')", pause=1.0)
    stopped.append(_write_stop(rng, writer, stop))
    return writer.records


def build_billmaintain(plan: LogPlan, window: LogWindow) -> tuple[list[Record], list[dict]]:
    rng = random.Random(f'{plan.seed}:billmaintain.log')
    run_stops = [stop for stop in plan.early_stops if stop.when is None]
    timed_stops = [stop for stop in plan.early_stops if stop.when is not None]
    items = list(plan.billdaily_items)
    last_items = list(dict.fromkeys(items + [stop.item for stop in run_stops]))
    longest = timedelta(seconds=RUN_LEAD_SECONDS + ITEM_SECONDS * (len(last_items) + len(run_stops)))

    starts = []
    day = (window.start - timedelta(days=EXTRA_DAYS)).date()
    while True:
        start = datetime.combine(day, RUN_AT) + timedelta(seconds=rng.randint(0, 50))
        if start + longest >= plan.now:
            break
        starts.append(start)
        day += timedelta(days=1)

    stopped: list[dict] = []
    runs = []
    for number, start in enumerate(starts):
        last = number == len(starts) - 1
        runs.append(_daily_run(rng, start, last_items if last else items, run_stops if last else [],
                               window.error_cutoff, stopped))
    runs.extend(_stop_at(rng, stop, stopped) for stop in timed_stops)
    stopped.sort(key=lambda entry: entry['time'])
    return interleave(rng, [], runs), stopped
