# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""When a temporary change ends: a duration (``30m``, ``2h``, ``1d``, ``1h30m``) or a time.

Stand-in until ``_timespec.py`` lands: same names and signatures (``parse_duration``,
``parse_time_or_relative``), so callers switch by changing one import.  Stdlib only.
"""

from __future__ import annotations

import re
from datetime import timedelta

from ansible_collections.billmgr.ops.plugins.module_utils._debugconf import parse_time as _parse_marker_time

_UNIT_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
_DURATION_RE = re.compile(r'^\s*(?:\d+\s*[smhdw]\s*)+$', re.IGNORECASE)
_PART_RE = re.compile(r'(\d+)\s*([smhdw])', re.IGNORECASE)


class TimeSpecError(ValueError):
    """Text that is neither a duration nor a time; the message shows the accepted forms."""


def parse_duration(text):
    """``30m`` / ``2h`` / ``1d`` / ``1h30m`` / ``45s`` / ``1w`` -> seconds (int)."""
    if not isinstance(text, str) or not _DURATION_RE.match(text):
        raise TimeSpecError('%r is not a duration: use a number with a unit, s m h d or w, e.g. 30m, 2h, 1d, 1h30m' % (text,))
    return sum(int(number) * _UNIT_SECONDS[unit.lower()] for number, unit in _PART_RE.findall(text))


def parse_time(text):
    """An ISO time (``2026-11-23T15:00:00Z``, ``2026-11-23 15:00+03:00``) -> aware datetime.

    A time without a zone is taken as UTC: the controller and the fleet need not share a zone.
    """
    moment = _parse_marker_time(text)
    if moment is None:
        raise TimeSpecError('%r is neither a duration (30m, 2h, 1d) nor an ISO time (2026-11-23T15:00:00Z)' % (text,))
    return moment


def parse_time_or_relative(text, now):
    """A duration counted from NOW, or an absolute time -> aware datetime."""
    return resolve(text, now)[0]


def resolve(text, now):
    """``(moment, is_fixed)``: is_fixed is False when TEXT was a duration counted from NOW."""
    try:
        return now + timedelta(seconds=parse_duration(text)), False
    except TimeSpecError:
        if not isinstance(text, str) or not text.strip():
            raise
    return parse_time(text), True
