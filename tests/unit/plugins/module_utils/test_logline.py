# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import time
from datetime import datetime

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._logs.logline import (
    LogRecord,
    datetime_key,
    infer_year,
    is_header,
    iter_records,
    parse_error,
    parse_line,
    strip_ansi,
    time_key,
    year_anchor,
)

# The literal samples of the platform spec, with the fields they must give.
SPEC_SAMPLES = [
    ("May  5 00:19:17 [8821:1] rpc EXTINFO Query('func=service.billdaily&item=310598&from=daily')",
     (5, 5, 0, 19, 17, 8821, '1', 'rpc', 'EXTINFO',
      "Query('func=service.billdaily&item=310598&from=daily')")),
    ("Mar  6 18:33:01 [483562:72787] libmgr ERROR Error: Type: 'missed' Object: 'function' Value: "
     "'payment_cash_register.check'",
     (3, 6, 18, 33, 1, 483562, '72787', 'libmgr', 'ERROR',
      "Error: Type: 'missed' Object: 'function' Value: 'payment_cash_register.check'")),
    ("Mar  3 00:24:36 [9686:1] libmgr ERROR Error: Type: 'stat_addon_over_limit' Object: '' Value: ''",
     (3, 3, 0, 24, 36, 9686, '1', 'libmgr', 'ERROR',
      "Error: Type: 'stat_addon_over_limit' Object: '' Value: ''")),
    ("Mar  3 00:24:37 [9686:1] sbin_utils INFO QUERY: func=service.autosuspend&item=323911&stat=on",
     (3, 3, 0, 24, 37, 9686, '1', 'sbin_utils', 'INFO',
      'QUERY: func=service.autosuspend&item=323911&stat=on')),
]


@pytest.mark.parametrize('line, fields', SPEC_SAMPLES)
def test_spec_samples_parse_to_their_fields(line, fields):
    record = parse_line(line)
    assert tuple(record)[:10] == fields and record.year is None
    assert is_header(line) and not record.unparsed


def test_spec_errors_parse():
    assert parse_error(parse_line(SPEC_SAMPLES[1][0]).message) == {
        'type': 'missed', 'object': 'function', 'value': 'payment_cash_register.check'}
    assert parse_line(SPEC_SAMPLES[2][0]).error == {'type': 'stat_addon_over_limit', 'object': '', 'value': ''}
    assert parse_line(SPEC_SAMPLES[0][0]).error is None


def test_thread_key():
    record = parse_line(SPEC_SAMPLES[1][0])
    assert record.thread_key == '483562:72787'


def test_module_log_line_without_thread_and_unpadded_day():
    record = parse_line('May 5 07:01:02 [31337] pmbillmgr INFO open ticket 12')
    assert (record.month, record.day, record.pid, record.thread, record.logger) == (5, 5, 31337, None, 'pmbillmgr')
    assert record.thread_key == '31337'
    assert record.message == 'open ticket 12'


def test_zero_padded_and_two_digit_days():
    assert parse_line('May 05 07:01:02 [1:2] x INFO a').day == 5
    assert parse_line('Dec 25 07:01:02 [1:2] x INFO a').day == 25


def test_debug_line_keeps_source_position_in_message():
    record = parse_line('Mar  6 18:33:00 [1:2] core DEBUG session.cpp:512 Opened session 7')
    assert record.level == 'DEBUG'
    assert record.message == 'session.cpp:512 Opened session 7'


def test_colour_codes_around_level_and_line():
    coloured = 'Mar  6 18:33:01 [1:2] libmgr \x1b[1;31mERROR\x1b[0m Error: Type: \'x\''
    whole = '\x1b[31mMar  6 18:33:01 [1:2] libmgr ERROR boom\x1b[0m'
    assert parse_line(coloured).level == 'ERROR'
    assert parse_line(coloured).message == "Error: Type: 'x'"
    assert parse_line(whole).message == 'boom'
    assert strip_ansi(b'a\x1b[1;31mb\x1b[0m') == b'ab'


def test_crlf_and_newline_are_not_part_of_the_message():
    assert parse_line('Mar  6 18:33:01 [1:2] rpc INFO hello\r\n').message == 'hello'
    assert parse_line('Mar  6 18:33:01 [1:2] rpc ERROR\r').message == ''


def test_nul_bytes_before_a_header_are_tolerated():
    assert parse_line('\x00\x00\x00Mar  6 18:33:01 [1:2] rpc INFO after a crash').message == 'after a crash'


def test_continuation_lines_are_not_headers():
    for line in ('<doc>', "  <error type='missed'>ERROR missed(x)</error>", '', 'Mar 6',
                 'Foo  6 18:33:01 [1:2] rpc INFO not a month', 'Mar  6 18:33:011 [1:2] rpc INFO bad second',
                 '2024-03-06  18:33:01 [1] x ERROR two blanks', '[2024-03-06 18:33:01] ERROR bracketed'):
        assert not is_header(line), line
        assert parse_line(line) is None, line


def test_header_without_level_still_starts_a_record():
    record = parse_line("Mar  6 18:33:01 [1:2] rpc Query('func=x')")
    assert (record.logger, record.level, record.message) == ('rpc', '', "Query('func=x')")


def test_error_forms():
    assert parse_error("Error: Type: 'missed'") == {'type': 'missed', 'object': None, 'value': None}
    assert parse_error("call failed: Error: Type: 'value' Object: 'period' Value: 'it's -1'") == {
        'type': 'value', 'object': 'period', 'value': "it's -1"}
    assert parse_error("Error: Type: 'a'\nError: Type: 'b'")['type'] == 'a'
    assert parse_error('ERROR missed(currency)') is None


def test_records_group_continuation_lines_with_their_header():
    text = ("rotated from var/logs/billmgr.log.1.gz\n"
            "Mar  6 18:33:01 [1:2] libmgr ERROR Error: Type: 'remote'\n"
            "<doc>\n  <msg>ERROR remote(x)</msg>\n</doc>\n"
            "Mar  6 18:33:02 [1:3] rpc INFO next\n")
    groups = list(iter_records(text.splitlines(True)))
    assert groups[0] == (None, ['rotated from var/logs/billmgr.log.1.gz'])
    assert groups[1][0].level == 'ERROR'
    assert groups[1][1] == ['<doc>', '  <msg>ERROR remote(x)</msg>', '</doc>']
    assert groups[2][0].message == 'next' and groups[2][1] == []


def _mtime(*parts):
    return time.mktime(datetime(*parts).timetuple())


@pytest.mark.parametrize('mtime, line, year', [
    # The month runs backwards from December to the January of the mtime: the year before.
    ((2025, 1, 5, 10, 0, 0), 'Dec 31 23:59:59 [1:2] rpc INFO last of the year', 2024),
    ((2025, 1, 5, 10, 0, 0), 'Jan  2 00:00:01 [1:2] rpc INFO first of the year', 2025),
    # Stamped a little after the mtime (clock in another zone): still the mtime's year.
    ((2025, 3, 6, 10, 0, 0), 'Mar  6 23:00:00 [1:2] rpc INFO clock in another zone', 2025),
    ((2025, 3, 6, 10, 0, 0), 'Mar  8 00:00:00 [1:2] rpc INFO two days after the mtime', 2024),
])
def test_year_from_the_file_mtime(mtime, line, year):
    assert infer_year(parse_line(line).in_year_key, year_anchor(_mtime(*mtime))) == year


def test_time_keys_order_like_time():
    moments = [datetime(2024, 12, 31, 23, 59, 59), datetime(2025, 1, 1, 0, 0, 0),
               datetime(2025, 1, 31, 23, 0, 0), datetime(2025, 2, 1, 0, 0, 0), datetime(2025, 2, 1, 0, 0, 1)]
    keys = [datetime_key(moment) for moment in moments]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert time_key(2025, 2, 1, 0, 0, 1) == keys[-1]


def test_record_is_a_plain_tuple():
    record = LogRecord(3, 6, 18, 33, 1, 1, None, 'rpc', 'INFO', 'x')
    assert record.thread_key == '1'
    assert record.in_year_key < LogRecord(3, 6, 18, 33, 2, 1, None, 'rpc', 'INFO', 'x').in_year_key


# ---------------------------------------------------------------- every writer's format
WRITER_LINES = [
    # The vendor PHP helper, current: no thread, day not padded, colour around level and message.
    ('Mar 6 15:33:01 [48211] pmpaymaster \x1b[1;31mERROR Payment system answered HTTP 503\x1b[0m',
     ('pmpaymaster', 'ERROR', 'Payment system answered HTTP 503', '48211', None)),
    # Its error handler: no logger, a colon after the level word.
    ('Mar 6 18:33:01 [48212] ERROR: 2: fopen(x): failed. In file: /usr/local/mgr5/x.php. On line: 87',
     ('', 'ERROR', '2: fopen(x): failed. In file: /usr/local/mgr5/x.php. On line: 87', '48212', None)),
    # The platform's Python library: ISO date, milliseconds, colour and a blank before the level.
    ("2026-03-06 18:33:01,502 [48300] pmvmmgr6 \x1b[1;31m ERROR Type: 'value' Object: 'ip' Value: 'none'\x1b[0m",
     ('pmvmmgr6', 'ERROR', "Type: 'value' Object: 'ip' Value: 'none'", '48300', 2026)),
]


@pytest.mark.parametrize('line, expected', WRITER_LINES)
def test_every_writers_header(line, expected):
    record = parse_line(line)
    assert (record.logger, record.level, record.message, record.thread_key, record.year) == expected
    assert is_header(line) and not record.unparsed


def test_python_library_errors_are_typed_like_the_platforms():
    assert parse_line(WRITER_LINES[2][0]).error == {'type': 'value', 'object': 'ip', 'value': 'none'}
    # Only at the start of the message: a header quoted further on is no error type.
    assert parse_error("sent Content-Type: 'application/json'") is None
    assert parse_error("  Type: 'x'") == {'type': 'x', 'object': None, 'value': None}


def test_a_bare_level_word_without_its_colon_is_not_the_error_handlers_form():
    record = parse_line('Mar 6 18:33:01 [48212] ERROR something')
    assert (record.logger, record.level, record.message) == ('ERROR', '', 'something')
    assert not record.unparsed


@pytest.mark.parametrize('line', [
    'Mar  6 18:33:01 rpc INFO no pid',
    'Mar  6 18:33:02 billmgr php-fpm[311]: PHP ERROR: out of memory',
    '2026-03-06T18:33:02+03:00 billmgr pmpaymaster[48212]: ERROR no answer',
    '2026-03-06 18:33:02 ERROR no process',
])
def test_a_stamp_of_no_known_format_starts_a_level_less_record(line):
    record = parse_line(line)
    assert is_header(line) and record.unparsed
    assert (record.level, record.logger, record.pid, record.thread_key) == ('', '', None, None)


def test_blank_lines_between_records_belong_to_no_message():
    text = ('Mar 6 18:33:00 [1] pm INFO a\n\n'
            'Mar 6 18:33:01 [1] pm ERROR b\n<doc>\n\n</doc>\n\n  \n'
            'Mar 6 18:33:02 [1] pm INFO c\n\n')
    assert [lines for unused_record, lines in iter_records(text.splitlines())] == [[], ['<doc>', '', '</doc>'], []]
    assert list(iter_records(['', ''])) == []


def test_year_anchor_in_utc():
    moment = 1767225600  # 2026-01-01T00:00:00Z
    assert year_anchor(moment, utc=True).year == 2026
