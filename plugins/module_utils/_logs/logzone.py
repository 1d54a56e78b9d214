# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""In which time zone a log is stamped: the host's local time (the platform) or UTC (the current
PHP helper of payment and processing modules).

No line says it.  A live log's last record is written moments before the file's modification
time, so the newest record is read both ways and the reading that lands within ZONE_TOLERANCE of
the mtime wins; where both do (a host in UTC) or neither does (a quiet log touched later), the log
is taken as local.  A caller that knows better names the zone instead.

Stdlib only and no Ansible imports.
"""

from __future__ import annotations

import calendar
import time
from datetime import datetime, timedelta, timezone

from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import iso_local

AUTO, LOCAL, UTC = 'auto', 'local', 'utc'
ZONE_CHOICES = (AUTO, LOCAL, UTC)
# How far before the mtime a live log's newest record may be stamped.  Smaller than any UTC offset
# in use (the smallest is 30 minutes), large enough for a record stamped when it began.
ZONE_TOLERANCE = 600


class Zone:
    """How the naive times of one log map to moments."""

    def __init__(self, name):
        if name not in (LOCAL, UTC):
            raise ValueError('a log is stamped in %s or %s, not %r' % (LOCAL, UTC, name))
        self.name = name
        self.utc = name == UTC

    def __repr__(self):
        return 'Zone(%r)' % self.name

    def epoch(self, naive):
        """Seconds since the epoch of NAIVE, a wall-clock time of this zone."""
        if self.utc:
            return calendar.timegm(naive.timetuple())
        return time.mktime(naive.timetuple())

    def from_local(self, naive_local):
        """NAIVE_LOCAL (the host's local time, as options are read) as a wall-clock time of this zone."""
        if not self.utc:
            return naive_local
        return datetime(1970, 1, 1) + timedelta(seconds=time.mktime(naive_local.timetuple())) \
            + timedelta(microseconds=naive_local.microsecond)

    def iso(self, naive):
        """NAIVE of this zone as ISO 8601 with its real UTC offset."""
        if self.utc:
            return naive.replace(tzinfo=timezone.utc).isoformat(timespec='seconds')
        return iso_local(naive)


ZONES = {LOCAL: Zone(LOCAL), UTC: Zone(UTC)}


def zone_of(newest, mtime):
    """The zone of a log whose newest record reads NEWEST (a naive datetime, or a function of a
    Zone giving one: a month-and-day stamp's year depends on the zone) and whose mtime is MTIME."""
    distances = {}
    for name, zone in ZONES.items():
        when = newest(zone) if callable(newest) else newest
        if when is None:
            return ZONES[LOCAL]
        try:
            distances[name] = abs(mtime - zone.epoch(when))
        except (OverflowError, ValueError, OSError):
            return ZONES[LOCAL]
    if distances[LOCAL] > ZONE_TOLERANCE and distances[UTC] <= ZONE_TOLERANCE:
        return ZONES[UTC]
    return ZONES[LOCAL]


def check_zones(given):
    """A ``{log name or glob: auto|local|utc}`` option, checked; the message says what to give."""
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise ValueError('log_zones must be a mapping of log names (or globs) to %s' % ', '.join(ZONE_CHOICES))
    for name, zone in given.items():
        if zone not in ZONE_CHOICES:
            raise ValueError('log_zones: %s: %r is not a zone: give %s' % (name, zone, ', '.join(ZONE_CHOICES)))
    return dict(given)
