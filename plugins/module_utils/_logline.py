# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The grammar of a platform log line, once for the whole collection.

A record starts with a header line ``Mon DD HH:MM:SS [PID:THREAD] LOGGER LEVEL message`` (day padded
with a space; module logs written in PHP or Python may show ``[PID]`` and an unpadded day) and owns
the lines after it that have no header: a multi-line XML result, for instance.  No year is written;
it is inferred from the file's modification time.

The patterns are kept as text so that the byte-level scanner (``_logscan``) compiles the very same
grammar for ``bytes``.  Stdlib only and no Ansible imports, so scripts shipped to hosts can use it.
"""

from __future__ import annotations

import re
import time
from collections import namedtuple

MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
MONTH_NUMBERS = dict((name, number) for number, name in enumerate(MONTHS, 1))
LEVELS = ('ERROR', 'WARNING', 'INFO', 'EXTINFO', 'DEBUG')

# An SGR or other CSI escape.  Where the platform puts colour is not documented, so it is removed
# wherever it is before a line is read.
ANSI_PATTERN = r'\x1b\[[0-9;?]*[A-Za-z]'

# Timestamp and process: what makes a line a header.  NULs are allowed in front because a crash can
# leave a run of them before the next line the platform writes.  Groups 1-7: month, day, hour,
# minute, second, pid, thread.
STAMP_PID_PATTERN = (
    r'\x00*(' + '|'.join(MONTHS) + r') +(\d{1,2}) (\d\d):(\d\d):(\d\d) +'
    r'\[(\d+)(?::([^\]\s]+))?\]'
)
# Up to the level word.  Group 8: logger.
HEADER_PREFIX_PATTERN = STAMP_PID_PATTERN + r' +(\S+) +'
# A whole header line once colour is gone.  Groups 9, 10: level, message.
LINE_PATTERN = HEADER_PREFIX_PATTERN + r'([A-Z]+)(?:[ \t](.*?))?\r?\n?$'

ERROR_PREFIX = "Error: Type: '"

_ANSI_RE = re.compile(ANSI_PATTERN)
_ANSI_BYTES_RE = re.compile(ANSI_PATTERN.encode('ascii'))
_LINE_RE = re.compile(LINE_PATTERN, re.DOTALL)
_STAMP_PID_RE = re.compile(STAMP_PID_PATTERN + ' ')
_ERROR_RE = re.compile(
    re.escape(ERROR_PREFIX) + r"(?P<type>[^']*)'"
    r"(?:\s+Object:\s+'(?P<object>.*?)')?"
    r"(?:\s+Value:\s+'(?P<value>.*)')?"
)

# Time keys: integers that order timestamps as the log does, cheap enough to build for every hit.
# Months and days get fixed-size slots, so a key is not a count of seconds, only an order.
DAY_SPAN = 86400
_MONTH_SPAN = 32 * DAY_SPAN
YEAR_SPAN = 16 * _MONTH_SPAN
# A record may be stamped a little after the file's mtime (clock steps, the platform logging in
# another time zone than the module reads mtime in); only a later date than that is a past year.
YEAR_TOLERANCE = DAY_SPAN

Anchor = namedtuple('Anchor', 'year in_year_key')


class LogRecord(namedtuple('LogRecord', 'month day hour minute second pid thread logger level message')):
    """One header line, parsed.  ``message`` is the text after the level word (continuations apart)."""

    __slots__ = ()

    @property
    def thread_key(self):
        return thread_key(self.pid, self.thread)

    @property
    def in_year_key(self):
        return in_year_key(self.month, self.day, self.hour, self.minute, self.second)

    @property
    def error(self):
        return parse_error(self.message)


def strip_ansi(text):
    """TEXT (str or bytes) without colour escapes."""
    if isinstance(text, bytes):
        return _ANSI_BYTES_RE.sub(b'', text) if b'\x1b' in text else text
    return _ANSI_RE.sub('', text) if '\x1b' in text else text


def parse_line(line):
    """A header line (str; colour and line ending allowed) -> :class:`LogRecord`, or None.

    A header whose level word is missing still starts a record: its ``level`` is empty.
    """
    line = strip_ansi(line)
    match = _LINE_RE.match(line)
    if match is not None:
        month, day, hour, minute, second, pid, thread, logger, level, message = match.groups()
    else:
        match = _STAMP_PID_RE.match(line)
        if match is None:
            return None
        month, day, hour, minute, second, pid, thread = match.groups()
        rest = line[match.end():].rstrip('\r\n').lstrip(' ').split(' ', 1)
        logger, level, message = rest[0], '', rest[1] if len(rest) > 1 else ''
    return LogRecord(MONTH_NUMBERS[month], int(day), int(hour), int(minute), int(second),
                     int(pid), thread, logger, level, message or '')


def is_header(line):
    """True when LINE starts a record; a line that does not continues the record before it."""
    return _STAMP_PID_RE.match(strip_ansi(line)) is not None


def thread_key(pid, thread):
    """``PID:THREAD``, or ``PID`` for a module log line that names no thread."""
    return '%s:%s' % (pid, thread) if thread is not None else str(pid)


def parse_error(message):
    """``Error: Type: 'T' Object: 'O' Value: 'V'`` in the first line of MESSAGE -> dict, or None.

    Object and value are None when the line stops after the type.  The type is the text up to the
    next quote: the scanner counts error types by that same rule without parsing the line.
    """
    first_line = message.split('\n', 1)[0].rstrip('\r')
    match = _ERROR_RE.search(first_line)
    if match is None:
        return None
    return {'type': match.group('type'), 'object': match.group('object'), 'value': match.group('value')}


def iter_records(lines):
    """Group LINES (str, with or without endings) into ``(LogRecord, [continuation lines])``.

    Lines before the first header (the note a rotation leaves at the top) are yielded with a None
    record, so nothing is lost.  Meant for small texts; large files go through ``_logscan``.
    """
    record, continuation = None, []
    for line in lines:
        line = line.rstrip('\n').rstrip('\r')
        parsed = parse_line(line)
        if parsed is None:
            continuation.append(strip_ansi(line))
            continue
        if record is not None or continuation:
            yield record, continuation
        record, continuation = parsed, []
    if record is not None or continuation:
        yield record, continuation


def in_year_key(month, day, hour, minute, second):
    return month * _MONTH_SPAN + day * DAY_SPAN + hour * 3600 + minute * 60 + second


def time_key(year, month, day, hour, minute, second):
    """Sort key of a timestamp, comparable with ``year * YEAR_SPAN + in_year_key(...)``."""
    return year * YEAR_SPAN + in_year_key(month, day, hour, minute, second)


def datetime_key(when):
    """Sort key of a naive local :class:`datetime.datetime`."""
    return time_key(when.year, when.month, when.day, when.hour, when.minute, when.second)


def year_anchor(mtime):
    """What year inference needs from a file's modification time (seconds since the epoch)."""
    local = time.localtime(mtime)
    return Anchor(local.tm_year,
                  in_year_key(local.tm_mon, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec))


def infer_year(record_in_year_key, anchor):
    """The year of a record written before the file's mtime.

    Nothing is written after the mtime, so a record whose month and day come later in the year
    than the mtime's (the month ran backwards between it and the end of the file) is from the year
    before.  This assumes a file spans less than a year, which rotation at 100 MB makes the rule; a
    quiet log that spans more dates its oldest records a year too late.
    """
    if record_in_year_key > anchor.in_year_key + YEAR_TOLERANCE:
        return anchor.year - 1
    return anchor.year
