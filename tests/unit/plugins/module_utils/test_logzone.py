# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import calendar
import time
from datetime import datetime

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._logs.logzone import ZONES, check_zones, zone_of

NEWEST = datetime(2026, 3, 6, 15, 33, 1)


@pytest.mark.parametrize('zone, written_as', [('XXX-3', 'utc'), ('XXX-3', 'local'), ('XXX+5', 'utc'), ('XXX+5', 'local')])
def test_the_reading_that_meets_the_mtime_names_the_zone(host_zone, zone, written_as):
    host_zone(zone)
    mtime = (calendar.timegm if written_as == 'utc' else time.mktime)(NEWEST.timetuple()) + 2
    assert zone_of(NEWEST, mtime).name == written_as


def test_a_host_in_utc_reads_every_log_as_local(host_zone):
    host_zone('UTC0')
    assert zone_of(NEWEST, calendar.timegm(NEWEST.timetuple())).name == 'local'


def test_a_log_touched_long_after_its_last_record_is_taken_as_local(host_zone):
    host_zone('XXX-3')
    assert zone_of(NEWEST, time.mktime(NEWEST.timetuple()) + 7 * 3600).name == 'local'
    assert zone_of(None, 0).name == 'local'
    assert zone_of(lambda zone: None, 0).name == 'local'


def test_zone_moves_local_window_ends_and_gives_real_offsets(host_zone):
    host_zone('XXX-3')
    assert ZONES['utc'].from_local(datetime(2026, 3, 6, 18, 33, 1, 5)) == datetime(2026, 3, 6, 15, 33, 1, 5)
    assert ZONES['local'].from_local(NEWEST) == NEWEST
    assert ZONES['utc'].iso(NEWEST) == '2026-03-06T15:33:01+00:00'
    assert ZONES['local'].iso(NEWEST) == '2026-03-06T15:33:01+03:00'


def test_zone_options_are_checked():
    assert check_zones(None) == {}
    assert check_zones({'pm*': 'utc', 'billmgr': 'auto'}) == {'pm*': 'utc', 'billmgr': 'auto'}
    with pytest.raises(ValueError, match="log_zones: pmx: 'UTC' is not a zone: give auto, local, utc"):
        check_zones({'pmx': 'UTC'})
    with pytest.raises(ValueError, match='must be a mapping'):
        check_zones(['utc'])
