# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time windows, computed once on the controller in the grammar of module_utils._logs.timespec.

A role's "how far back" setting is a duration (``24h``, ``1h30m``, ``1w``) or an ISO time. A
duration becomes an absolute UTC time here, once for the run, so every host reads the same window
and no module, preflight or template keeps a unit table of its own. An ISO time without a zone is the
host's local time (how the platform stamps its logs) and is handed on as written.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import (
    DURATION_FORMS,
    TIME_FORMS,
    TimeSpecError,
    parse_duration,
    parse_time,
)

UTC_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def _now(now):
    if now is None:
        return datetime.now(timezone.utc)
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def is_duration(text):
    try:
        parse_duration(text)
    except TimeSpecError:
        return False
    return True


def duration_problem(text, option):
    """'' when TEXT is a duration; otherwise what OPTION must look like."""
    try:
        parse_duration(text, option)
    except TimeSpecError:
        return '%s must be a duration: %s' % (option, DURATION_FORMS)
    return ''


def since_problem(text, option):
    """'' when TEXT is a duration or an ISO time; otherwise what OPTION must look like."""
    if is_duration(text):
        return ''
    try:
        parse_time(text, option)
    except TimeSpecError:
        return '%s must be %s' % (option, TIME_FORMS)
    return ''


def window_start(text, now=None, option='since'):
    """The start of a window as a module takes it.

    A duration -> NOW (UTC, default the current time) minus it, as ``YYYY-MM-DDTHH:MM:SSZ``; an ISO
    time -> itself, checked. TimeSpecError names OPTION otherwise.
    """
    stripped = str(text).strip()
    if is_duration(stripped):
        start = _now(now) - timedelta(seconds=parse_duration(stripped, option))
        return start.strftime(UTC_FORMAT)
    parse_time(stripped, option)
    return stripped
