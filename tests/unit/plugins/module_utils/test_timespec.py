# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import (
    TimeSpecError,
    iso_local,
    parse_duration,
    parse_time,
    parse_time_or_relative,
    to_local_naive,
)

NOW = datetime(2025, 5, 5, 12, 0, 0)


@pytest.fixture
def moscow(monkeypatch):
    """Host local time fixed to UTC+3 without DST, so conversions have one right answer."""
    monkeypatch.setenv('TZ', 'Europe/Moscow')
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize('text, seconds', [
    ('30m', 1800), ('1h', 3600), ('24h', 86400), ('7d', 604800), ('1h30m', 5400),
    ('2w', 1209600), ('45s', 45), (' 45 s ', 45), ('1H', 3600), ('0m', 0),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize('text', ['yesterday-ish', '30', '', '1x', 'h', '-5m', '1.5h', '5 minutes'])
def test_bad_durations_name_the_option(text):
    with pytest.raises(TimeSpecError, match=r'^expires: .* is not a duration: give a number and a unit'):
        parse_duration(text, 'expires')


@pytest.mark.parametrize('text, delta', [('1h', 3600), ('30m', 1800), ('7d', 7 * 86400),
                                         ('30m ago', 1800), ('-2h', 7200)])
def test_relative_times_count_back_from_now(text, delta):
    assert parse_time_or_relative(text, NOW, 'since') == NOW - timedelta(seconds=delta)


@pytest.mark.parametrize('text, expected', [
    ('2024-03-06T18:33:01', datetime(2024, 3, 6, 18, 33, 1)),
    ('2024-03-06 18:33', datetime(2024, 3, 6, 18, 33)),
    ('2024-03-06', datetime(2024, 3, 6)),
    ('2024-03-06T18:33:01.250', datetime(2024, 3, 6, 18, 33, 1, 250000)),
])
def test_naive_iso_times_are_host_local(text, expected):
    assert parse_time_or_relative(text, NOW, 'since') == expected


def test_zoned_iso_times_become_host_local(moscow):
    assert parse_time('2024-03-06T15:33:01Z') == datetime(2024, 3, 6, 18, 33, 1)
    assert parse_time('2024-03-06T18:33:01+03:00') == datetime(2024, 3, 6, 18, 33, 1)
    assert parse_time('2024-03-06T10:33:01-0500') == datetime(2024, 3, 6, 18, 33, 1)
    assert to_local_naive(datetime(2024, 3, 6, 15, 33, 1, tzinfo=timezone.utc)) == datetime(2024, 3, 6, 18, 33, 1)


def test_iso_local_carries_the_host_offset(moscow):
    assert iso_local(datetime(2024, 3, 6, 18, 33, 1)) == '2024-03-06T18:33:01+03:00'


@pytest.mark.parametrize('text', ['yesterday-ish', '2024-02-30', '2024-13-01T00:00', '06.03.2024', 'now', '1h later'])
def test_bad_times_name_the_option_and_the_forms(text):
    with pytest.raises(TimeSpecError) as caught:
        parse_time_or_relative(text, NOW, 'since')
    message = str(caught.value)
    assert message.startswith('since: ')
    assert repr(text) in message


def test_unreadable_time_says_which_forms_are_accepted():
    with pytest.raises(TimeSpecError, match='ISO 8601 time .* or a time relative to now such as 30m, 1h'):
        parse_time_or_relative('yesterday-ish', NOW, 'until')


def test_datetimes_pass_through():
    assert parse_time_or_relative(NOW, None, 'since') is NOW


def test_relative_time_defaults_to_the_current_clock():
    before = datetime.now()
    resolved = parse_time_or_relative('1h')
    assert before - timedelta(hours=1, seconds=5) <= resolved <= datetime.now() - timedelta(hours=1)


def test_huge_durations_are_refused_by_name_not_overflowed():
    with pytest.raises(TimeSpecError, match=r"^expires: '999999999d' is longer than 100 years"):
        parse_duration('999999999d', 'expires')
    with pytest.raises(TimeSpecError, match=r'^since: .* is longer than 100 years'):
        parse_time_or_relative('99999999999d', option='since')
