# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Times and durations as operators write them in options: ``30m``, ``7d``, ``2024-03-06T18:33``.

``parse_duration('1h30m') -> 5400`` (seconds) serves options such as ``expires``;
``parse_time_or_relative(text, now) -> datetime`` serves ``since``/``until``, where a duration means
that long before NOW.  Times come back as naive datetimes in the host's local time, which is how
the platform stamps its logs.  Parsed by hand rather than with ``datetime.fromisoformat`` so every
Python a managed host may run reads the same forms.  Stdlib only, no Ansible imports.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

UNIT_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
# Longer durations are typos; past this, date arithmetic overflows instead of giving a clear message.
MAX_DURATION_SECONDS = 100 * 366 * 86400
# Years a log, a license or an expiry can sensibly carry; at the calendar's ends (year 1, 9999)
# converting between zones overflows instead of giving a clear message.
MIN_YEAR, MAX_YEAR = 1970, 2999

_DURATION_RE = re.compile(r'(?:\d{1,12}[smhdw])+')
_DURATION_PART_RE = re.compile(r'(\d+)([smhdw])')
_RELATIVE_RE = re.compile(r'-?\s*(?P<duration>[0-9smhdw ]+?)(?:\s+ago)?')
_ISO_RE = re.compile(
    r'(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})'
    r'(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?)?'
    r'\s*(?P<zone>Z|z|[+-]\d{2}(?::?\d{2})?)?'
)

DURATION_FORMS = 'a number and a unit (s, m, h, d, w) such as 30m, 1h, 24h, 7d or 1h30m'
TIME_FORMS = ('an ISO 8601 time such as 2024-03-06T18:33:00 (host local time) or '
              '2024-03-06T18:33:00+03:00, or a time relative to now such as 30m, 1h, 24h or 7d')


class TimeSpecError(ValueError):
    """A time or duration option that cannot be read; the message names the option."""


def parse_duration(text, option='duration'):
    """``'30m'`` -> 1800.  Units may be combined (``1h30m``); a bare number has no unit and is refused."""
    compact = str(text).strip().lower().replace(' ', '')
    if not compact.isascii() or not _DURATION_RE.fullmatch(compact):
        raise TimeSpecError('%s: %r is not a duration: give %s' % (option, text, DURATION_FORMS))
    seconds = sum(int(number) * UNIT_SECONDS[unit] for number, unit in _DURATION_PART_RE.findall(compact))
    if seconds > MAX_DURATION_SECONDS:
        raise TimeSpecError('%s: %r is longer than 100 years: give %s' % (option, text, DURATION_FORMS))
    return seconds


def parse_time(text, option='time'):
    """An ISO 8601 date or time -> naive local datetime; a zone, when given, is converted to local."""
    stripped = str(text).strip()
    match = _ISO_RE.fullmatch(stripped) if stripped.isascii() else None
    if match is None:
        raise TimeSpecError('%s: %r is not %s' % (option, text, TIME_FORMS))
    parts = match.groupdict()
    fraction = (parts['fraction'] or '0')[:6].ljust(6, '0')
    try:
        when = datetime(int(parts['year']), int(parts['month']), int(parts['day']),
                        int(parts['hour'] or 0), int(parts['minute'] or 0), int(parts['second'] or 0),
                        int(fraction))
    except ValueError as exc:
        raise TimeSpecError('%s: %r is not a valid date or time (%s)' % (option, text, exc))
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        raise TimeSpecError('%s: %r is outside the years %d to %d: give a time in them'
                            % (option, text, MIN_YEAR, MAX_YEAR))
    zone = parts['zone']
    if zone is None:
        return when
    try:
        return to_local_naive(when.replace(tzinfo=_zone(zone)))
    except (OverflowError, ValueError, OSError) as exc:
        raise TimeSpecError('%s: %r has a UTC offset that is not one (%s): give one from -23:59 to +23:59'
                            % (option, text, exc))


def parse_time_or_relative(text, now=None, option='time'):
    """``'1h'`` -> NOW minus an hour; an ISO time -> that time.  Both naive local datetimes.

    NOW defaults to the current local time.  A datetime passes through (converted to local when it
    carries a zone), so callers may hand over values they already parsed.
    """
    if isinstance(text, datetime):
        return to_local_naive(text)
    stripped = str(text).strip()
    relative = _RELATIVE_RE.fullmatch(stripped.lower()) if stripped.isascii() else None
    if relative is not None and _DURATION_RE.fullmatch(relative.group('duration').replace(' ', '')):
        seconds = parse_duration(relative.group('duration'), option)
        return (now if now is not None else datetime.now()) - timedelta(seconds=seconds)
    return parse_time(stripped, option)


def to_local_naive(when):
    """An aware datetime as the host's local wall-clock time without zone; naive ones are kept."""
    if when.tzinfo is None:
        return when
    return when.astimezone().replace(tzinfo=None)


def iso_local(when):
    """A naive local datetime as ISO 8601 with the host's UTC offset for that moment."""
    try:
        return when.astimezone().isoformat(timespec='seconds')
    except (OverflowError, ValueError, OSError):
        return when.isoformat(timespec='seconds')


def _zone(text):
    if text in ('Z', 'z'):
        return timezone.utc
    sign = -1 if text[0] == '-' else 1
    digits = text[1:].replace(':', '')
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if minutes > 59:
        raise ValueError('minutes of an offset run to 59')
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
