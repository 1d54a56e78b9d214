# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Clock skew measured over a round trip, and judged only beyond its uncertainty."""

from __future__ import annotations

import pytest

from ansible_collections.billmgr.ops.plugins.plugin_utils._clockskew import measure_clock, round_trip_skew
from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import host_findings, skew_text

SENT = 1795443960.0


def host_call(true_skew, wait_before, work, back):
    """The four clock readings of one call: the controller sends at SENT, the module starts
    WAIT_BEFORE seconds later, works WORK seconds, and its result is read BACK seconds after."""
    start = SENT + wait_before
    end = start + work
    return SENT, end + back, start + true_skew, end + true_skew


@pytest.mark.parametrize('true_skew', [0.0, 12.5, -5400.0])
@pytest.mark.parametrize('wait_before, work, back',
                         [(0.1, 0.5, 0.1), (45.0, 0.5, 0.1), (0.1, 80.0, 0.1), (200.0, 3.0, 2.0)])
def test_the_true_skew_is_always_within_the_uncertainty(true_skew, wait_before, work, back):
    skew, uncertainty = round_trip_skew(*host_call(true_skew, wait_before, work, back))
    assert abs(skew - true_skew) <= uncertainty + 1e-9


def test_the_module_s_own_work_is_taken_out_of_the_uncertainty():
    _skew, uncertainty = round_trip_skew(*host_call(0.0, 0.2, 80.0, 0.2))
    assert uncertainty == pytest.approx(0.2)


def test_with_one_host_reading_it_is_the_midpoint_of_the_round_trip():
    skew, uncertainty = round_trip_skew(100.0, 110.0, 107.0, 107.0)
    assert (skew, uncertainty) == (2.0, 5.0)


def test_a_host_clock_that_stepped_during_the_call_falls_back_to_its_first_reading():
    # The host's readings are further apart than the whole round trip: its clock was set meanwhile.
    skew, uncertainty = round_trip_skew(100.0, 110.0, 103.0, 160.0)
    assert (skew, uncertainty) == (103.0 - 105.0, 5.0)


def test_measure_fills_the_clock_section_but_leaves_a_caller_s_reference_alone():
    clock = {'epoch': 1000.5, 'epoch_end': 1001.0, 'reference_epoch': None, 'skew_seconds': None}
    measure_clock(clock, 1000.0, 1002.0)
    assert clock == {'epoch': 1000.5, 'epoch_end': 1001.0, 'reference_epoch': 1001.0, 'skew_seconds': -0.25,
                     'skew_uncertainty_seconds': 0.75, 'round_trip_seconds': 2.0}
    given = {'epoch': 1000.5, 'epoch_end': 1001.0, 'reference_epoch': 990.0, 'skew_seconds': 10.5}
    assert measure_clock(dict(given), 1000.0, 1002.0) == given
    failed = {'error': 'timedatectl did not answer'}
    assert measure_clock(dict(failed), 1000.0, 1002.0) == failed


def clock_findings(skew, uncertainty, round_trip=None):
    clock = {'utc': '2026-11-23T14:00:00Z', 'skew_seconds': skew, 'skew_uncertainty_seconds': uncertainty,
             'round_trip_seconds': round_trip, 'ntp_synchronized': True}
    return [item for item in host_findings({'clock': clock}) if item['id'].startswith('clock')]


def test_a_right_clock_measured_late_is_no_skew():
    # What a fork queue used to turn into a warning: the module started 45 s after the call was sent.
    skew, uncertainty = round_trip_skew(*host_call(0.0, 45.0, 0.5, 0.1))
    assert clock_findings(round(skew, 3), round(uncertainty, 3)) == []


@pytest.mark.parametrize('skew, uncertainty, expected', [
    (45.0, 0.4, ('clock_skew', 'warning')),
    (45.0, 20.0, None),
    (-3600.0, 2.0, ('clock_skew', 'critical')),
    # Proved above the warning threshold, not above the critical one.
    (310.0, 20.0, ('clock_skew', 'warning')),
    # The clock is certainly off, however imprecise the measurement.
    (5400.0, 90.0, ('clock_skew', 'critical')),
    (45.0, None, ('clock_skew', 'warning')),
])
def test_a_skew_is_found_only_beyond_its_uncertainty(skew, uncertainty, expected):
    found = clock_findings(skew, uncertainty)
    assert [(item['id'], item['severity']) for item in found] == ([expected] if expected else [])
    if found:
        assert found[0]['evidence']['skew_seconds'] == skew
        assert found[0]['evidence']['uncertainty_seconds'] == uncertainty
        assert skew_text(skew, uncertainty) in found[0]['summary']


def test_an_uncertainty_above_the_threshold_says_so_and_how_to_measure_better():
    found = clock_findings(3.0, 36.0, round_trip=73.0)
    assert [(item['id'], item['severity']) for item in found] == [('clock_skew_unmeasured', 'info')]
    assert 'could not be measured precisely' in found[0]['summary'] and '\u00b1 36.0 s' in found[0]['summary']
    assert '73.0 s' in found[0]['evidence']['note'] and 'fewer forks' in found[0]['fix']


def test_skew_text():
    assert skew_text(5400.04, 1.25) == '+5400.0 s \u00b1 1.2 s'
    assert skew_text(-0.3, None) == '-0.3 s'
    assert skew_text(None, 3.0) is None
