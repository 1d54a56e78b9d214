"""The lab's log generator: every fact is re-read from the files it wrote, with a parser of our own."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[1]
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from billmgr_lab.loggen import EarlyStop, LogPlan, parse_size, write_big_log, write_logs  # noqa: E402

HEADER = re.compile(
    r'^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} \[[0-9]+(:[0-9]+)?\] [^ ]+ (ERROR|WARNING|INFO|EXTINFO|DEBUG) ')
# Module logs may print the day without padding ('May 5'); only module_day_style='bare' asks for it.
BARE_DAY_HEADER = re.compile(
    r'^[A-Z][a-z]{2} [0-9]{1,2} [0-9:]{8} \[[0-9]+(:[0-9]+)?\] [^ ]+ (ERROR|WARNING|INFO|EXTINFO|DEBUG) ')
FIELDS = re.compile(
    r'^(?P<mon>[A-Z][a-z]{2}) +(?P<day>[0-9]{1,2}) (?P<time>[0-9:]{8}) \[(?P<key>[0-9:]+)\] (?P<logger>[^ ]+) '
    r'(?P<level>[A-Z]+) (?P<message>.*)$')
ANSI = re.compile(r'\x1b\[[0-9;]*m')
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
BACKTRACE_FRAME = re.compile(r'\S.* \([^ ]+ \+ 0x[0-9a-f]+\) \[\*0x[0-9a-f]+\]')
ERROR_TEXT = re.compile(r"^Error: Type: '[^']*' Object: '[^']*' Value: '[^']*'$")
NOW = datetime(2025, 5, 5, 12, 0, 0)
HEADER_LOGS = ('billmgr.log', 'billmaintain.log', 'ihttpd.log', 'mgrctl.log', 'pmbillmgr.log')
# Module logs whose writer is not the platform (loggen.lines.WRITERS), each read by its own pattern.
MODULE_LOGS = ('pmpaymaster.log',)


@dataclass
class Rec:
    when: datetime
    key: str
    logger: str
    level: str
    message: str
    continuation: list[str]


def read_text(path: Path) -> str:
    if path.suffix == '.gz':
        with gzip.open(path, 'rt', encoding='utf-8', newline='') as handle:
            return handle.read()
    return path.read_text(encoding='utf-8')


def mtime_of(path: Path) -> datetime:
    return datetime.fromtimestamp(os.stat(path).st_mtime)


def parse(text: str, newest: datetime, header: re.Pattern = HEADER) -> list[Rec]:
    """Records of a log; the year comes from the file's mtime, a year back when the month runs backwards."""
    records: list[Rec] = []
    for line in text.split('\n')[:-1]:
        plain = ANSI.sub('', line)
        if header.match(plain):
            fields = FIELDS.match(plain)
            assert fields, line
            records.append(Rec(fields['mon'] + ' ' + fields['day'] + ' ' + fields['time'], fields['key'],
                               fields['logger'], fields['level'], fields['message'], []))
        else:
            assert records, f'a log starts with a continuation line: {line!r}'
            records[-1].continuation.append(line)
    year, month = newest.year, newest.month
    for record in reversed(records):
        mon, day, clock = record.when.split()
        if MONTHS.index(mon) + 1 > month:
            year -= 1
        month = MONTHS.index(mon) + 1
        record.when = datetime.strptime(f'{year} {mon} {day} {clock}', '%Y %b %d %H:%M:%S')
    return records


def load(path: Path, header: re.Pattern = HEADER) -> list[Rec]:
    return parse(read_text(path), mtime_of(path), header)


def errors(records: list[Rec]) -> list[Rec]:
    return [record for record in records if record.level == 'ERROR']


PLAN = LogPlan(
    now=NOW, seed=7, size_bytes=400_000, rotated_archives=2, error_burst=12,
    early_stops=[
        EarlyStop(item=310598, reason='not_enough_money', amount='1500.00', have='120.00', deficit='1380.00',
                  limit='0.00'),
        EarlyStop(item=323911, reason='stat_addon_over_limit'),
        EarlyStop(item=318220, reason='not_enough_money', currency='USD', when=datetime(2025, 5, 4, 15, 3, 2)),
    ],
)


@pytest.fixture(scope='module')
def host(tmp_path_factory):
    var = tmp_path_factory.mktemp('host') / 'var'
    return var, write_logs(var, PLAN)


@pytest.fixture(scope='module')
def colour_host(tmp_path_factory):
    var = tmp_path_factory.mktemp('colour') / 'var'
    return var, write_logs(var, LogPlan(now=NOW, seed=3, color=True, error_burst=3))


@pytest.mark.parametrize('fixture', ['host', 'colour_host'])
def test_header_lines_match_and_continuations_do_not(fixture, request):
    var, summary = request.getfixturevalue(fixture)
    colour = fixture == 'colour_host'
    for name in HEADER_LOGS:
        lines = read_text(var / name).split('\n')[:-1]
        headers = [line for line in lines if HEADER.match(ANSI.sub('', line))]
        # Every line that opens like a header is one, so no header slips through as a continuation.
        assert all(HEADER.match(ANSI.sub('', line)) for line in lines if re.match(r'^[A-Z][a-z]{2} ', line)), name
        assert len(headers) == summary['logs'][name]['records'], name
        assert HEADER.match(ANSI.sub('', lines[0])), name
        coloured = [line for line in headers if '\x1b[' in line]
        if colour:
            assert len(coloured) == len(headers), name
            assert all(re.search(r' \x1b\[[0-9;]*m[A-Z]+\x1b\[0m ', line) for line in coloured), name
        else:
            assert not coloured, name


def test_summary_counts_equal_a_recount(host):
    var, summary = host
    assert set(summary['logs']) == set(HEADER_LOGS + MODULE_LOGS) | {'billmgr.auth.log'}
    for name in HEADER_LOGS:
        facts = summary['logs'][name]
        path = var / name
        records = load(path)
        assert facts['path'] == str(path)
        assert facts['bytes'] == path.stat().st_size
        assert facts['lines'] == read_text(path).count('\n')
        assert facts['records'] == len(records)
        assert facts['error_records'] == len(errors(records))
        assert facts['first'] == min(record.when for record in records)
        assert facts['last'] == max(record.when for record in records)
        assert mtime_of(path) == facts['last'], 'mtime follows the newest line'
        assert facts['last'] <= NOW
    assert summary['logs']['billmgr.log']['last'] >= NOW - timedelta(seconds=5)
    assert summary['logs']['billmgr.log']['error_records'] > 0


def test_billmgr_log_size_is_near_the_plan(host):
    var, _ = host
    assert 0.8 * PLAN.size_bytes < (var / 'billmgr.log').stat().st_size < 1.25 * PLAN.size_bytes
    for name in HEADER_LOGS[1:]:
        assert (var / name).stat().st_size < (var / 'billmgr.log').stat().st_size, name


def test_burst_is_one_thread_in_the_last_hour(host):
    var, summary = host
    burst = summary['burst']
    recent = [record for record in errors(load(var / 'billmgr.log')) if record.when > NOW - timedelta(hours=1)]
    assert len(recent) == burst['count'] == PLAN.error_burst
    assert {record.key for record in recent} == {burst['thread']}
    assert re.fullmatch(r'[0-9]+:[0-9]+', burst['thread'])
    assert all(record.message == "Error: Type: 'missed' Object: 'function' Value: 'payment_cash_register.check'"
               for record in recent)
    assert burst['error_type'] == 'missed'
    assert (burst['first'], burst['last']) == (recent[0].when, recent[-1].when)
    assert NOW - timedelta(hours=1) < burst['first'] <= burst['last'] <= NOW


def test_no_burst_unless_planned(tmp_path):
    summary = write_logs(tmp_path / 'var', LogPlan(now=NOW, seed=5))
    assert summary['burst'] is None
    recent = [record for record in errors(load(tmp_path / 'var' / 'billmgr.log'))
              if record.when > NOW - timedelta(hours=24)]
    assert recent == []


@pytest.mark.parametrize('age', [48, 100])
def test_baseline_errors_are_older_than_the_planned_age(age, host, tmp_path):
    if age == PLAN.baseline_error_age_hours:
        var, summary = host
    else:
        var = tmp_path / 'var'
        summary = write_logs(var, LogPlan(now=NOW, seed=11, error_burst=4, baseline_error_age_hours=age,
                                          early_stops=[EarlyStop(323911, 'stat_addon_over_limit')]))
    stop_times = {entry['time'] for entry in summary['early_stops']}
    cutoff = NOW - timedelta(hours=age)
    baseline = 0
    for name in HEADER_LOGS:
        for record in errors(load(var / name)):
            in_burst = record.key == summary['burst']['thread'] and record.when > NOW - timedelta(hours=1)
            if name == 'billmgr.log' and in_burst:
                continue
            if name == 'billmaintain.log' and record.when in stop_times:
                continue
            assert record.when <= cutoff, (name, record)
            baseline += 1
    assert baseline > 0, 'a baseline that is never there proves nothing'


def _thread_records(records: list[Rec], key: str) -> list[Rec]:
    return [record for record in records if record.key == key]


def test_money_stop_is_the_runbook_sequence_then_the_autosuspend(host):
    """Runbook 003: the billdaily Query, `rpc DEBUG mgrclient.cpp:215 Result xml:` with the one-line
    <doc> and a blank line, `backtrace EXTINFO` frames, then `libmgr ERROR ... 'not_enough_money'`."""
    var, summary = host
    records = load(var / 'billmaintain.log')
    stops = {entry['item']: entry for entry in summary['early_stops']}
    for item, expected in ((310598, {'amount': '1500.00', 'have': '120.00', 'currency': 'RUB',
                                     'deficit': '1380.00', 'limit': '0.00'}),
                           (318220, {'currency': 'USD'})):
        entry = stops[item]
        assert entry['reason'] == 'not_enough_money'
        thread = _thread_records(records, entry['thread'])
        position = next(number for number, record in enumerate(thread)
                        if record.message.startswith('mgrclient.cpp:215 Result xml:')
                        and number > 0 and f'item={item}&' in thread[number - 1].message)
        result = thread[position]
        assert (result.logger, result.level) == ('rpc', 'DEBUG')
        assert result.message == 'mgrclient.cpp:215 Result xml: <?xml version="1.0" encoding="UTF-8"?>'
        assert len(result.continuation) == 2 and result.continuation[1] == ''
        doc = result.continuation[0]
        assert doc.startswith('<doc><error type="not_enough_money" lang="en" code="1">') and doc.endswith('</doc>')
        shown = dict(re.findall(r'<param name="([a-z]+)">([^<]*)</param>', doc))
        assert set(shown) == {'amount', 'have', 'currency', 'deficit', 'limit', 'reserved', 'available'}
        assert expected.items() <= shown.items()
        assert dict((key, shown[key]) for key in entry['params']) == entry['params']
        assert '<msg>insufficient funds to complete the operation. Required amount  %s %s.' % (
            shown['amount'], shown['currency']) in doc
        assert thread[position - 1].message == f"Query('func=service.billdaily&item={item}&from=daily')"
        assert thread[position].when == entry['time']
        frames = thread[position + 1:position + 12]
        assert all((frame.logger, frame.level) == ('backtrace', 'EXTINFO') for frame in frames)
        assert frames[-1].message.endswith('[*(nil)]') and any('BillDaily()' in f.message for f in frames)
        error, after = thread[position + 12], thread[position + 13]
        assert (error.logger, error.level) == ('libmgr', 'ERROR')
        assert error.message == "Error: Type: 'not_enough_money' Object: '' Value: ''"
        assert after.message == f'QUERY: func=service.autosuspend&item={item}&stat=on'
        assert (after.logger, after.level) == ('sbin_utils', 'INFO')
        assert timedelta(0) <= after.when - entry['time'] <= timedelta(seconds=2)
    assert stops[318220]['time'] == datetime(2025, 5, 4, 15, 3, 2)


def test_addon_stop_is_a_statdaily_error_then_autosuspend_a_second_later(host):
    var, summary = host
    records = load(var / 'billmaintain.log')
    entry = next(entry for entry in summary['early_stops'] if entry['reason'] == 'stat_addon_over_limit')
    thread = _thread_records(records, entry['thread'])
    position = next(number for number, record in enumerate(thread)
                    if record.level == 'ERROR' and record.when == entry['time'])
    error, after = thread[position], thread[position + 1]
    assert (error.logger, error.message) == ('libmgr', "Error: Type: 'stat_addon_over_limit' Object: '' Value: ''")
    assert after.message == f"QUERY: func=service.autosuspend&item={entry['item']}&stat=on"
    assert after.when - error.when == timedelta(seconds=1)
    query = thread[position - 1].message
    assert re.fullmatch(r"Query\('func=service\.statdaily&item=%d&statdate=\d{4}%%2D\d\d%%2D\d\d'\)"
                        % entry['item'], query), query


def test_default_stop_time_is_the_last_daily_run(host):
    var, summary = host
    records = load(var / 'billmaintain.log')
    runs = [record.when for record in records
            if record.message.startswith('billmaintain ') and record.message.endswith(' started')]
    assert len(runs) >= 3
    for entry in summary['early_stops']:
        if entry['item'] in (310598, 323911):
            assert runs[-1] <= entry['time'] <= NOW
    daily = [record for record in records if 'func=service.billdaily' in record.message]
    stat = [record for record in records if 'func=service.statdaily' in record.message]
    assert {str(item) for item in PLAN.billdaily_items} <= {re.search(r'item=(\d+)', r.message)[1] for r in daily}
    assert len(stat) >= len(PLAN.billdaily_items) * 3


def test_autosuspend_only_for_planned_stops(host):
    var, summary = host
    suspended = [record for record in load(var / 'billmaintain.log') if 'service.autosuspend' in record.message]
    assert sorted(int(re.search(r'item=(\d+)', record.message)[1]) for record in suspended) == \
        sorted(entry['item'] for entry in summary['early_stops'])
    text = read_text(var / 'billmaintain.log')
    # Each money stop names its type twice (the XML result and the ERROR line), as in runbook 003.
    assert text.count('not_enough_money') == 4 and text.count('stat_addon_over_limit') == 1


def test_archives_are_gzip_named_by_the_live_files_first_line(host):
    var, summary = host
    archives = summary['archives']
    assert len(archives) == PLAN.rotated_archives
    names = sorted(path.name for path in (var / 'logs').iterdir())
    assert names == sorted(archive['name'] for archive in archives)
    for archive in archives:
        assert re.fullmatch(r'billmgr\.log-[0-9]{8}-[0-9]{6}\.[0-9]+\.gz', archive['name'])
        path = var / 'logs' / archive['name']
        header = path.read_bytes()[:10]
        assert header[:2] == b'\x1f\x8b'
        # The header's own time is the rotation's, not the moment of writing: seeded bytes stay equal.
        assert datetime.fromtimestamp(int.from_bytes(header[4:8], 'little')) == archive['rotated_at']
        records = load(path)  # reads to the end, so the CRC is checked
        assert len(records) == archive['records'] and len(errors(records)) == archive['error_records']
        assert max(record.when for record in records) <= archive['rotated_at'] == mtime_of(path)
    live_first = read_text(var / 'billmgr.log').split('\n')[0]
    assert live_first.endswith('logs/' + archives[-1]['name'])
    older_first = read_text(var / 'logs' / archives[-1]['name']).split('\n')[0]
    assert older_first.endswith('logs/' + archives[-2]['name'])
    assert summary['logs']['billmgr.log']['first'] >= archives[-1]['rotated_at']


def test_year_boundary_runs_from_december_into_january(tmp_path):
    now = datetime(2025, 1, 2, 9, 30, 0)
    summary = write_logs(tmp_path / 'var', LogPlan(now=now, seed=2, year_boundary=True, error_burst=2))
    for name in ('billmgr.log', 'billmaintain.log'):
        path = tmp_path / 'var' / name
        assert mtime_of(path) == now
        months = [line[:3] for line in read_text(path).split('\n')[:-1] if HEADER.match(line)]
        assert months[0] == 'Dec' and months[-1] == 'Jan'
        first_january = months.index('Jan')
        assert set(months[:first_january]) == {'Dec'} and set(months[first_january:]) == {'Jan'}
        records = load(path)
        assert records[0].when.year == 2024 and records[-1].when.year == 2025
    assert summary['burst']['first'].year == 2025


def test_year_boundary_needs_january():
    with pytest.raises(ValueError, match='January'):
        write_logs(Path('/nonexistent'), LogPlan(now=NOW, year_boundary=True))


def test_bad_early_stop_reason_is_refused(tmp_path):
    with pytest.raises(ValueError, match='reason'):
        write_logs(tmp_path, LogPlan(now=NOW, early_stops=[EarlyStop(1, 'expired')]))


def _digest(var: Path) -> dict[str, str]:
    return {str(path.relative_to(var)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(var.rglob('*')) if path.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(host, tmp_path):
    var, _ = host
    write_logs(tmp_path / 'again' / 'var', PLAN)
    assert _digest(tmp_path / 'again' / 'var') == _digest(var)
    other = LogPlan(**{**PLAN.__dict__, 'seed': PLAN.seed + 1})
    write_logs(tmp_path / 'other' / 'var', other)
    assert _digest(tmp_path / 'other' / 'var')['billmgr.log'] != _digest(var)['billmgr.log']


def test_threads_interleave_slightly_out_of_order(host):
    var, _ = host
    records = load(var / 'billmgr.log')
    newest, backwards = records[0].when, 0
    for record in records:
        assert record.when >= newest - timedelta(seconds=6), record
        backwards += record.when < newest
        newest = max(newest, record.when)
    assert backwards > 0
    keys = [record.key for record in records]
    switches = sum(1 for first, second in zip(keys, keys[1:]) if first != second)
    assert switches > len(records) // 10
    assert len({key.split(':')[0] for key in keys}) >= 2, 'a restart gives the worker a new PID'
    # Out of order between threads only: one thread writes its own lines in order.
    last_in_thread: dict[str, datetime] = {}
    for record in records:
        assert record.when >= last_in_thread.get(record.key, record.when), record
        last_in_thread[record.key] = record.when


def test_billmgr_log_has_the_platforms_kinds_of_lines(host):
    var, _ = host
    records = load(var / 'billmgr.log')
    assert {record.level for record in records} == {'ERROR', 'WARNING', 'INFO', 'EXTINFO', 'DEBUG'}
    assert {'rpc', 'libmgr', 'sbin_utils', 'core_module', 'db'} <= {record.logger for record in records}
    assert any(re.match(r'[a-z_]+\.cpp:[0-9]+ ', record.message) for record in records if record.level == 'DEBUG')
    assert any(record.continuation and record.continuation[0].startswith('<?xml') for record in records)
    # Runbook 003: the stack is `backtrace EXTINFO` lines of the error's thread, just before it.
    frames = [(index, record) for index, record in enumerate(records) if record.logger == 'backtrace']
    assert frames and all(record.level == 'EXTINFO' and BACKTRACE_FRAME.fullmatch(record.message)
                          for _, record in frames)
    for index, frame in frames:
        following = next(record for record in records[index + 1:] if record.key == frame.key)
        assert following.logger == 'backtrace' or following.level == 'ERROR', following
    assert any(' ERROR ' in line for record in records for line in record.continuation)
    assert any(' ERROR ' in record.message for record in records if record.level != 'ERROR')
    by_thread: dict[str, list[Rec]] = {}
    for record in records:
        by_thread.setdefault(record.key, []).append(record)
    for record in errors(records):
        if record.message.startswith('Error:'):
            assert ERROR_TEXT.match(record.message)
            thread = by_thread[record.key]
            assert thread.index(record) < len(thread) - 1, 'an error is followed by the usual lines'


def test_module_logs_by_kind_of_module(host):
    var, _ = host
    script = load(var / 'pmpaymaster.log')
    assert all(re.fullmatch(r'[0-9]+', record.key) for record in script)
    assert all(line[4] == '0' for line in read_text(var / 'pmpaymaster.log').split('\n')[:-1] if HEADER.match(line))
    native = load(var / 'pmbillmgr.log')
    assert all(re.fullmatch(r'[0-9]+:[0-9]+', record.key) for record in native)
    assert {record.logger for record in native} == {'pmbillmgr'}


def test_module_days_can_be_bare(tmp_path):
    write_logs(tmp_path / 'var', LogPlan(now=NOW, seed=4, module_day_style='bare', payment_modules=['pmcloudpayments']))
    lines = read_text(tmp_path / 'var' / 'pmcloudpayments.log').split('\n')[:-1]
    headers = [line for line in lines if BARE_DAY_HEADER.match(line)]
    assert headers and all(re.match(r'^May [2-5] ', line) for line in headers)
    assert len(load(tmp_path / 'var' / 'pmcloudpayments.log', BARE_DAY_HEADER)) == len(headers)


# Each writer's header, read independently of the collection's grammar: (pattern, what a record is).
WRITER_HEADERS = {
    'php': re.compile(r'^[A-Z][a-z]{2} [0-9]{2} [0-9:]{8} \[[0-9]+\] pmbank \x1b\[[0-9;]+m(ERROR|WARNING|INFO|EXTINFO|DEBUG) '),
    'php_legacy': re.compile(r'^[A-Z][a-z]{2} [0-9]{2} [0-9:]{8} \[[0-9]+\] (?:pmpaymaster (ERROR|WARNING|INFO|EXTINFO|DEBUG) '
                             r'|(ERROR): [0-9]+: .*\. In file: /usr/local/mgr5/paymethods/pmpaymaster\.php\. On line: [0-9]+$)'),
    'python': re.compile(r'^20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-9:]{8},[0-9]{3} \[[0-9]+\] pmispmgr5 '
                         r'\x1b\[[0-9;]+m (ERROR|WARNING|INFO|EXTINFO|DEBUG) '),
}
WRITER_LOGS = {'php': 'pmbank.log', 'php_legacy': 'pmpaymaster.log', 'python': 'pmispmgr5.log'}


@pytest.fixture(scope='module')
def writers_host(tmp_path_factory):
    var = tmp_path_factory.mktemp('writers') / 'var'
    return var, write_logs(var, LogPlan(now=NOW, seed=7, size_bytes=2_000_000,
                                        payment_modules=['pmbank', 'pmpaymaster', 'pmispmgr5']))


@pytest.mark.parametrize('writer', sorted(WRITER_HEADERS))
def test_module_logs_in_each_writers_format(writers_host, writer):
    var, summary = writers_host
    name = WRITER_LOGS[writer]
    lines = read_text(var / name).split('\n')[:-1]
    headers = [line for line in lines if WRITER_HEADERS[writer].match(line)]
    # Every line that starts with a stamp is a header of the writer's form; the rest continue a record.
    assert all(WRITER_HEADERS[writer].match(line) for line in lines if re.match(r'^([A-Z][a-z]{2} |20[0-9]{2}-)', line))
    assert len(headers) == summary['logs'][name]['records'] > 20
    assert summary['logs'][name]['error_records'] == sum(
        1 for line in headers if 'ERROR' in WRITER_HEADERS[writer].match(line).groups()) > 0
    if writer == 'php_legacy':
        # A blank line after each record; the error handler's lines are there.
        assert sum(1 for line in lines if line == '') == len(headers)
        assert any(' ERROR: ' in line for line in headers)
    if writer == 'python':
        assert any(" ERROR Type: '" in line for line in headers)
        assert not any(' ERROR Error: ' in line for line in headers)


def test_module_logs_utc_stamps_the_current_php_helper_in_utc(tmp_path, monkeypatch):
    monkeypatch.setenv('TZ', 'XXX-3')
    time.tzset()
    try:
        plan = LogPlan(now=NOW, seed=5, payment_modules=['pmbank', 'pmpaymaster'], module_logs_utc=True)
        summary = write_logs(tmp_path / 'var', plan)
        last = read_text(tmp_path / 'var' / 'pmbank.log').rstrip('\n').split('\n')
        newest = max(datetime.strptime(ANSI.sub('', line)[:15], '%b %d %H:%M:%S').replace(year=NOW.year)
                     for line in last if WRITER_HEADERS['php'].match(line))
        # Three hours behind the host's clock, which the other module and the file's mtime follow.
        assert newest == summary['logs']['pmbank.log']['last'] - timedelta(hours=3)
        assert mtime_of(tmp_path / 'var' / 'pmbank.log') == summary['logs']['pmbank.log']['last']
        legacy = [line for line in read_text(tmp_path / 'var' / 'pmpaymaster.log').split('\n')
                  if WRITER_HEADERS['php_legacy'].match(line)]
        assert datetime.strptime(legacy[-1][:15], '%b %d %H:%M:%S').replace(year=NOW.year) \
            == summary['logs']['pmpaymaster.log']['last']
    finally:
        monkeypatch.undo()
        time.tzset()


def test_auth_log_is_tab_separated(host):
    var, summary = host
    lines = read_text(var / 'billmgr.auth.log').split('\n')[:-1]
    assert len(lines) == summary['logs']['billmgr.auth.log']['records'] > 10
    for line in lines:
        fields = line.split('\t')
        assert len(fields) == 5 and re.fullmatch(r'[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8}', fields[0])
        assert fields[4] in ('success', 'failed')


def _recount_big(path: Path) -> dict:
    counts = {'bytes': path.stat().st_size, 'records': 0, 'error_records': 0, 'error_substring_lines': 0}
    with open(path, encoding='utf-8', newline='') as handle:
        for line in handle:
            header = HEADER.match(line)
            if header:
                counts['records'] += 1
                counts['error_records'] += header[2] == 'ERROR'
            else:
                assert not re.match(r'^[A-Z][a-z]{2} ', line) and counts['records'], line
            counts['error_substring_lines'] += ' ERROR ' in line
    return counts


def test_big_log_counts_equal_a_recount(tmp_path):
    path = tmp_path / 'big.log'
    size = 20 * 1024 * 1024
    stats = write_big_log(path, size, seed=5)
    assert stats == _recount_big(path)
    assert size * 0.99 < stats['bytes'] <= size
    assert stats['error_substring_lines'] > stats['error_records'] > 0
    assert 0.0025 < stats['error_records'] / stats['records'] < 0.01
    last_stamp = path.read_bytes()[-4096:].decode().split('\n')
    stamps = [line[:15] for line in last_stamp if HEADER.match(line)]
    assert datetime.strptime(f'2025 {stamps[-1]}', '%Y %b %d %H:%M:%S') <= datetime(2025, 5, 5, 12, 0, 0)


def test_big_log_is_seeded(tmp_path):
    first, second, third = (tmp_path / name for name in ('a.log', 'b.log', 'c.log'))
    write_big_log(first, 2_000_000, seed=9, error_ratio=0.02)
    write_big_log(second, 2_000_000, seed=9, error_ratio=0.02)
    write_big_log(third, 2_000_000, seed=10, error_ratio=0.02)
    assert first.read_bytes() == second.read_bytes() != third.read_bytes()


def test_cli_prints_the_big_logs_stats(tmp_path):
    script = LAB / 'billmgr_lab' / 'loggen'
    out = tmp_path / 'cli.log'
    result = subprocess.run([sys.executable, str(script), 'big', '--size', '1M', '--seed', '3', '--out', str(out)],
                            capture_output=True, text=True, check=True, timeout=120)
    printed = json.loads(result.stdout)
    assert printed == _recount_big(out)
    assert printed == write_big_log(tmp_path / 'api.log', 1024 * 1024, seed=3)


@pytest.mark.parametrize('text, size', [('1G', 1 << 30), ('4G', 4 << 30), ('20M', 20 << 20), ('64k', 64 << 10),
                                        ('1GiB', 1 << 30), ('12345', 12345)])
def test_parse_size(text, size):
    assert parse_size(text) == size
