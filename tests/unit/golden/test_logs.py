# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Golden log samples, read by the one grammar: runbook 000's error lines, and the module-log
families the runbooks do not show (the vendor PHP helper, current and older, and the platform's
Python library), plus lines of no known format.  Each file is parsed record by record and scanned
as log_grep scans it; the zone of a file is told on a host pinned to UTC+3."""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime
from pathlib import Path

from ansible_collections.billmgr.ops.plugins.module_utils._logs.logline import iter_records, record_year
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import LogSource, scan

GOLDEN = Path(__file__).resolve().parents[2] / 'golden'
# A POSIX zone needs no tz database: three hours east of UTC, no daylight saving.
EAST_3 = 'XXX-3'


def records(name):
    with open(GOLDEN / name, encoding='utf-8') as handle:
        return list(iter_records(handle))


def fields(record):
    return (record.level, record.thread_key, (record.month, record.day, record.hour, record.minute, record.second))


def placed(tmp_path, name, log, mtime):
    """The golden file NAME as var/LOG.log with its modification time at MTIME (a local datetime)."""
    target = tmp_path / ('%s.log' % log)
    shutil.copyfile(GOLDEN / name, target)
    stamp = time.mktime(mtime.timetuple())
    os.utime(target, (stamp, stamp))
    return LogSource(log, str(target))


# ---------------------------------------------------------------- runbook 000
def test_runbook000_error_lines_and_their_threads(tmp_path, host_zone):
    host_zone(EAST_3)
    found = records('runbook000/billmgr_log_error_thread.log')
    assert [fields(record) for record, unused_lines in found] == [
        ('ERROR', '483562:72787', (3, 6, 18, 33, 1)),
        ('ERROR', '483562:72797', (3, 6, 18, 36, 1)),
    ]
    assert [record.logger for record, unused_lines in found] == ['libmgr', 'libmgr']
    assert [record.error for record, unused_lines in found] == [
        {'type': 'missed', 'object': 'function', 'value': 'payment_cash_register.check'},
        {'type': 'missed', 'object': 'function', 'value': 'payment_cash_register.send'},
    ]
    assert all(lines == [] for unused_record, lines in found)
    result = scan([placed(tmp_path, 'runbook000/billmgr_log_error_thread.log', 'billmgr', datetime(2026, 3, 6, 18, 36, 2))])
    assert result['counts']['by_error_type'] == {'missed': 2}
    assert [m['time'] for m in result['matches']] == ['2026-03-06T18:33:01+03:00', '2026-03-06T18:36:01+03:00']
    assert result['zones'] == {'billmgr': 'local'} and result['unparsed_headers'] == 0


# ---------------------------------------------------------------- the vendor PHP helper, current: UTC, colour
def test_php_helper_current_records():
    found = records('formats/pm_php_helper_utc_colour.log')
    assert [fields(record) for record, unused_lines in found] == [
        ('INFO', '48211', (3, 6, 15, 32, 59)),
        ('DEBUG', '48211', (3, 6, 15, 33, 0)),
        ('ERROR', '48211', (3, 6, 15, 33, 1)),
        ('WARNING', '48211', (3, 6, 15, 33, 1)),
    ]
    assert {record.logger for record, unused_lines in found} == {'pmpaymaster'}
    assert found[1][1] == ['<doc><payment><id>1042</id><status>2</status></payment></doc>']
    assert found[2][0].message == 'Payment system answered HTTP 503 for payment 1042'
    assert all(record.error is None and record.year is None for record, unused_lines in found)


def test_php_helper_current_is_told_to_be_in_utc_on_a_host_east_of_it(tmp_path, host_zone):
    host_zone(EAST_3)
    # Written moments ago by the helper: 15:33:01 UTC is 18:33:01 on this host.
    source = placed(tmp_path, 'formats/pm_php_helper_utc_colour.log', 'pmpaymaster', datetime(2026, 3, 6, 18, 33, 2))
    result = scan([source], levels=['ERROR', 'WARNING'], context='none')
    assert result['zones'] == {'pmpaymaster': 'utc'}
    assert [(m['level'], m['time']) for m in result['matches']] == [
        ('ERROR', '2026-03-06T15:33:01+00:00'), ('WARNING', '2026-03-06T15:33:01+00:00')]
    # The window is host local time: ten minutes back from 18:33:05 here still holds the records.
    windowed = scan([source], since=datetime(2026, 3, 6, 18, 23, 5), until=datetime(2026, 3, 6, 18, 33, 5))
    assert windowed['counts']['by_level'] == {'ERROR': 1}
    outside = scan([source], until=datetime(2026, 3, 6, 15, 40, 0))
    assert outside['counts']['by_level'] == {'ERROR': 0}


def test_a_log_whose_newest_record_matches_its_mtime_in_local_time_is_local(tmp_path, host_zone):
    host_zone(EAST_3)
    source = placed(tmp_path, 'formats/pm_php_helper_utc_colour.log', 'pmpaymaster', datetime(2026, 3, 6, 15, 33, 2))
    result = scan([source], context='none')
    assert result['zones'] == {'pmpaymaster': 'local'}
    assert result['matches'][0]['time'] == '2026-03-06T15:33:01+03:00'
    # The operator knows better: the override wins over what the file says.
    given = scan([source], context='none', zones={'pm*': 'utc'})
    assert given['zones'] == {'pmpaymaster': 'utc'}
    assert given['matches'][0]['time'] == '2026-03-06T15:33:01+00:00'


# ---------------------------------------------------------------- the vendor PHP helper, older: error handler, blank lines
def test_php_helper_legacy_records_and_blank_lines():
    found = records('formats/pm_php_helper_legacy.log')
    assert [fields(record) for record, unused_lines in found] == [
        ('INFO', '48212', (3, 6, 18, 33, 0)),
        ('ERROR', '48212', (3, 6, 18, 33, 1)),
        ('ERROR', '48212', (3, 6, 18, 33, 1)),
        ('ERROR', '48290', (3, 16, 18, 40, 12)),
    ]
    assert [record.logger for record, unused_lines in found] == ['pmpaymaster', '', 'pmpaymaster', '']
    assert found[1][0].message == ('2: file_get_contents(https://paymaster.example/api): failed to open stream: '
                                   'HTTP request failed!. In file: /usr/local/mgr5/paymethods/pmpaymaster.php. '
                                   'On line: 87')
    # The blank line after each record belongs to no message.
    assert [lines for unused_record, lines in found] == [[], [], ['<doc><error type="remote"/></doc>'], []]
    assert all(record.error is None for record, unused_lines in found)


def test_php_helper_legacy_scan_counts_the_error_handler_lines(tmp_path, host_zone):
    host_zone(EAST_3)
    source = placed(tmp_path, 'formats/pm_php_helper_legacy.log', 'pmpaymaster', datetime(2026, 3, 16, 18, 40, 13))
    result = scan([source], context='thread')
    assert result['counts']['by_level'] == {'ERROR': 3} and result['counts']['by_error_type'] == {}
    assert result['zones'] == {'pmpaymaster': 'local'} and result['unparsed_headers'] == 0
    handler, module, later = result['matches']
    assert (handler['logger'], handler['thread_key'], handler['time']) == ('', '48212', '2026-03-06T18:33:01+03:00')
    assert module['message'] == 'Payment 1043 not checked: no answer\n<doc><error type="remote"/></doc>'
    assert module['context'] == [
        'Mar 6 18:33:00 [48212] pmpaymaster INFO Request: func=payment.info&elid=1043',
        handler_line(handler)]
    assert later['message'].startswith('8: Undefined index: amount.')


def handler_line(match):
    return 'Mar 6 18:33:01 [48212] ERROR: ' + match['message']


# ---------------------------------------------------------------- the platform's Python library
def test_python_library_records():
    found = records('formats/pm_python_library.log')
    assert [fields(record) for record, unused_lines in found] == [
        ('INFO', '48300', (3, 6, 18, 33, 0)),
        ('ERROR', '48300', (3, 6, 18, 33, 1)),
        ('ERROR', '48300', (3, 6, 18, 33, 1)),
        ('DEBUG', '48301', (3, 6, 18, 33, 2)),
    ]
    assert {record.year for record, unused_lines in found} == {2026}
    assert [record.error for record, unused_lines in found][1:3] == [{'type': 'value', 'object': 'ip', 'value': 'none'}, None]
    assert found[3][1] == ['  <error type="access"/>', '</doc>']
    assert record_year(found[0][0], None) == 2026


def test_python_library_scan_types_its_errors(tmp_path, host_zone):
    host_zone(EAST_3)
    source = placed(tmp_path, 'formats/pm_python_library.log', 'pmvmmgr6', datetime(2026, 3, 6, 18, 33, 3))
    result = scan([source], context='none')
    assert result['counts']['by_level'] == {'ERROR': 2}
    assert result['counts']['by_error_type'] == {'value': 1}
    assert [m['time'] for m in result['matches']] == ['2026-03-06T18:33:01+03:00'] * 2
    assert result['matches'][0]['error'] == {'type': 'value', 'object': 'ip', 'value': 'none'}
    assert result['zones'] == {'pmvmmgr6': 'local'}


# ---------------------------------------------------------------- lines of no known format
def test_unknown_headers_start_level_less_records():
    found = records('formats/unknown_header.log')
    assert [(record.level, record.unparsed) for record, unused_lines in found] == [
        ('INFO', False), ('', True), ('', True), ('ERROR', False)]
    assert found[1][0].message == ('billmgr php-fpm[311]: PHP ERROR: Allowed memory size of 134217728 bytes exhausted '
                                   '(INFO: pool www)')
    assert (found[2][0].year, found[2][0].thread_key) == (2026, None)
    assert all(lines == [] for unused_record, lines in found)


def test_unknown_headers_are_counted_not_matched(tmp_path, host_zone):
    host_zone(EAST_3)
    source = placed(tmp_path, 'formats/unknown_header.log', 'billmgr', datetime(2026, 3, 6, 18, 33, 4))
    result = scan([source])
    assert result['counts']['by_level'] == {'ERROR': 1} and result['counts']['by_error_type'] == {'sql': 1}
    assert result['unparsed_headers'] == 2
    # Searching two levels still counts each such line once.
    assert scan([source], levels=['ERROR', 'INFO'])['unparsed_headers'] == 2
