# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.clockinfo import (
    ReferenceTimeError,
    clock_facts,
    parse_ntp,
    parse_reference_time,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import CommandResult

MOMENT = datetime(2026, 11, 23, 14, 0, 0, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize('value', [
    MOMENT, int(MOMENT), str(int(MOMENT)), '%.3f' % MOMENT,
    '2026-11-23T14:00:00Z', '2026-11-23T17:00:00+03:00', '2026-11-23T09:00:00-0500',
    '2026-11-23 14:00:00',            # no offset: UTC, whatever the host's zone
    '2026-11-23T14:00:00.000000',
])
def test_reference_time_forms(value):
    assert parse_reference_time(value) == pytest.approx(MOMENT)


def test_a_date_alone_is_utc_midnight():
    assert parse_reference_time('2026-11-23') == pytest.approx(MOMENT - 14 * 3600)


@pytest.mark.parametrize('value', [None, '', '  '])
def test_no_reference_time(value):
    assert parse_reference_time(value) is None


@pytest.mark.parametrize('value', [True, 'yesterday', '2026-13-01T00:00:00', [1], {'a': 1}])
def test_bad_reference_times_are_refused(value):
    with pytest.raises(ReferenceTimeError) as info:
        parse_reference_time(value)
    assert 'reference_time' in str(info.value)


def test_clock_facts_with_and_without_reference():
    facts = clock_facts(MOMENT + 5400.25, MOMENT)
    assert facts['utc'] == '2026-11-23T15:30:00Z'
    assert facts['epoch'] == pytest.approx(MOMENT + 5400.25)
    assert facts['skew_seconds'] == pytest.approx(5400.25)
    assert facts['local'].startswith(datetime.fromtimestamp(MOMENT + 5400.25).strftime('%Y-%m-%dT%H:%M'))
    behind = clock_facts(MOMENT - 30, MOMENT)
    assert behind['skew_seconds'] == pytest.approx(-30)
    alone = clock_facts(MOMENT)
    assert alone['skew_seconds'] is None and alone['reference_epoch'] is None


def _result(rc, stdout='', stderr='', timed_out=False):
    return CommandResult(['timedatectl'], rc, stdout, stderr, timed_out=timed_out, timeout=10)


def test_ntp_answers():
    assert parse_ntp(_result(0, 'yes\n')) == (True, None)
    assert parse_ntp(_result(0, 'no\n')) == (False, None)


def test_ntp_without_an_answer_says_why():
    synced, reason = parse_ntp(_result(1, '', 'Failed to connect to bus: Host is down\n'))
    assert synced is None and 'Failed to connect to bus' in reason and 'exit status 1' in reason
    synced, reason = parse_ntp(_result(0, 'maybe\n'))
    assert synced is None and 'maybe' in reason
    synced, reason = parse_ntp(_result(-9, timed_out=True))
    assert synced is None and '10 seconds' in reason
