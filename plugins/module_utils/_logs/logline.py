# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The grammar of log lines, once for the whole collection and for every writer on a host.

A record starts with a header line and owns the lines after it that have no header (a multi-line
XML result, for instance).  The writers a BILLmanager host has, all read by this one grammar:

* the platform: ``Mon DD HH:MM:SS [PID:THREAD] LOGGER LEVEL message`` (day padded with a space);
* the vendor's PHP helper for payment and processing modules: ``Mon D HH:MM:SS [PID] MODULE LEVEL
  message`` (day not padded, colour around level and message in its current version), and its error
  handler's ``Mon D HH:MM:SS [PID] ERROR: <errno>: <message>. In file: <path>. On line: <n>``, which
  names no logger and puts a colon after the level word;
* the platform's Python library: ``YYYY-MM-DD HH:MM:SS,mmm [PID] LOGGER \\e[1;31m ERROR message``,
  whose errors read ``Type: '..' Object: '..' Value: '..'`` without the ``Error: `` prefix.

A line that starts with a time stamp of either form but not with the ``[PID]`` every one of them
writes next still starts a record, of level ``''``: an unknown format then shows up as such
records (callers count them) instead of being glued to the message before it.  A month-and-day
stamp carries no year: it is inferred from the file's modification time.  Blank lines at the end
of a record are the space a writer leaves between records, not part of its message.

The patterns are kept as text so that the byte-level scanner (``logscan``) compiles the very same
grammar for ``bytes``.  Stdlib only and no Ansible imports, so scripts shipped to hosts can use it.
"""

from __future__ import annotations

import re
import time
from collections import namedtuple

MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
MONTH_NUMBERS = dict((name, number) for number, name in enumerate(MONTHS, 1))
LEVELS = ('ERROR', 'WARNING', 'INFO', 'EXTINFO', 'DEBUG')

# An SGR or other CSI escape.  Where a writer puts colour is not documented everywhere, so it is
# removed wherever it is before a line is read.
ANSI_PATTERN = r'\x1b\[[0-9;?]*[A-Za-z]'

# The time stamp that starts a header, in either form.  NULs are allowed in front because a crash
# can leave a run of them before the next line.  Groups 1-8: month name, day (the platform's and the
# PHP helper's form) or year, month, day (the Python library's, milliseconds ignored); hour,
# minute, second.
STAMP_PATTERN = (
    r'\x00*(?:(' + '|'.join(MONTHS) + r') +(\d{1,2}) |(\d{4})-(\d\d)-(\d\d)[ T])'
    r'(\d\d):(\d\d):(\d\d)(?:[,.]\d{1,9})?'
)
# Groups 9, 10: pid, thread (none in module logs).
STAMP_PID_PATTERN = STAMP_PATTERN + r' +\[(\d+)(?::([^\]\s]+))?\]'
# Up to the level word.  Group 11: logger (never ending in a colon, which is the bare form's level).
HEADER_PREFIX_PATTERN = STAMP_PID_PATTERN + r' +(\S*[^\s:]) +'
# The PHP error handler's header names no logger: the level word follows the process.
BARE_PREFIX_PATTERN = STAMP_PID_PATTERN + r' +'
# Whole header lines once colour is gone.  Groups 12, 13 (11, 12 bare): level, message.
LINE_PATTERN = HEADER_PREFIX_PATTERN + r'([A-Z]+):?(?:[ \t](.*?))?\r?\n?$'
BARE_LINE_PATTERN = BARE_PREFIX_PATTERN + r'([A-Z]+):(?:[ \t](.*?))?\r?\n?$'
# What makes a line start a record: a stamp (a zone after it allowed) and then a blank or the end.
HEADER_START_PATTERN = STAMP_PATTERN + r'(?:Z|[+-]\d\d:?\d\d)?(?=[ \t\r\n]|$)'

# What marks a typed error: the platform writes ``Error: Type: 'T' ...``, the Python library
# ``Type: 'T' ...`` at the start of its message.
ERROR_PREFIX = "Error: "
TYPE_MARKER = "Type: '"

_ANSI_RE = re.compile(ANSI_PATTERN)
_ANSI_BYTES_RE = re.compile(ANSI_PATTERN.encode('ascii'))
_LINE_RE = re.compile(LINE_PATTERN, re.DOTALL)
_BARE_LINE_RE = re.compile(BARE_LINE_PATTERN, re.DOTALL)
_STAMP_RE = re.compile(HEADER_START_PATTERN)
_FRAME_RE = re.compile(r'\[(\d+)(?::([^\]\s]+))?\](?: +|$)')
_ERROR_RE = re.compile(
    r'(?:^\s*|' + re.escape(ERROR_PREFIX) + ')' + re.escape(TYPE_MARKER) + r"(?P<type>[^']*)'"
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


class LogRecord(namedtuple('LogRecord', 'month day hour minute second pid thread logger level message year',
                           defaults=(None,))):
    """One header line, parsed.  ``message`` is the text after the level word (continuations apart).

    ``year`` is the year the stamp wrote (None for a month-and-day stamp); ``pid`` is None for a line
    that starts with a stamp the grammar knows but goes on in a way it does not (level ``''``).
    """

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

    @property
    def unparsed(self):
        """True for a header of a format the grammar does not know."""
        return self.pid is None


def strip_ansi(text):
    """TEXT (str or bytes) without colour escapes."""
    if isinstance(text, bytes):
        return _ANSI_BYTES_RE.sub(b'', text) if b'\x1b' in text else text
    return _ANSI_RE.sub('', text) if '\x1b' in text else text


def stamp_fields(groups):
    """Groups 1-8 of STAMP_PATTERN -> (year or None, month, day, hour, minute, second) as integers."""
    month_name, day, year, month, iso_day, hour, minute, second = groups
    if month_name is not None:
        return None, MONTH_NUMBERS[month_name], int(day), int(hour), int(minute), int(second)
    return int(year), int(month), int(iso_day), int(hour), int(minute), int(second)


def parse_line(line):
    """A header line (str; colour and line ending allowed) -> :class:`LogRecord`, or None.

    A header whose level word is missing, or that goes on after its stamp in a way no writer's
    format does, still starts a record: its ``level`` is empty.
    """
    line = strip_ansi(line)
    match = _LINE_RE.match(line)
    if match is not None:
        logger, level, message = match.group(11, 12, 13)
    else:
        match = _BARE_LINE_RE.match(line)
        if match is None:
            return _level_less(line)
        logger = ''
        level, message = match.group(11, 12)
    year, month, day, hour, minute, second = stamp_fields(match.group(1, 2, 3, 4, 5, 6, 7, 8))
    return LogRecord(month, day, hour, minute, second, int(match.group(9)), match.group(10), logger, level,
                     message or '', year)


def _level_less(line):
    """A line that starts like a header but reads as no writer's header: level ``''``."""
    match = _STAMP_RE.match(line)
    if match is None:
        return None
    year, month, day, hour, minute, second = stamp_fields(match.group(1, 2, 3, 4, 5, 6, 7, 8))
    rest = line[match.end():].rstrip('\r\n').lstrip(' \t')
    pid = thread = None
    logger = ''
    framed = _FRAME_RE.match(rest)
    if framed is not None:
        pid, thread = int(framed.group(1)), framed.group(2)
        words = rest[framed.end():].split(' ', 1)
        logger, rest = words[0], words[1] if len(words) > 1 else ''
    return LogRecord(month, day, hour, minute, second, pid, thread, logger, '', rest, year)


def is_header(line):
    """True when LINE starts a record; a line that does not continues the record before it."""
    return _STAMP_RE.match(strip_ansi(line)) is not None


def thread_key(pid, thread):
    """``PID:THREAD``, ``PID`` for a module log line that names no thread, None without a process."""
    if pid is None:
        return None
    return '%s:%s' % (pid, thread) if thread is not None else str(pid)


def parse_error(message):
    """A typed error in the first line of MESSAGE -> ``{type, object, value}``, or None.

    ``Error: Type: 'T' Object: 'O' Value: 'V'`` anywhere in the line (the platform), or the same
    without ``Error: `` at the start of the message (the Python library).  Object and value are None
    when the line stops after the type.  The type is the text up to the next quote: the scanner
    counts error types by that same rule without parsing the line.
    """
    first_line = message.split('\n', 1)[0].rstrip('\r')
    match = _ERROR_RE.search(first_line)
    if match is None:
        return None
    return {'type': match.group('type'), 'object': match.group('object'), 'value': match.group('value')}


def trim_blank_tail(lines):
    """LINES without the blank lines at their end: the space some writers leave between records."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines if end == len(lines) else lines[:end]


def iter_records(lines):
    """Group LINES (str, with or without endings) into ``(LogRecord, [continuation lines])``.

    Lines before the first header (the note a rotation leaves at the top) are yielded with a None
    record, so nothing is lost; blank lines closing a record are not part of it.  Meant for small
    texts; large files go through ``logscan``.
    """
    record, continuation = None, []
    for line in lines:
        line = line.rstrip('\n').rstrip('\r')
        parsed = parse_line(line)
        if parsed is None:
            continuation.append(strip_ansi(line))
            continue
        continuation = trim_blank_tail(continuation)
        if record is not None or continuation:
            yield record, continuation
        record, continuation = parsed, []
    continuation = trim_blank_tail(continuation)
    if record is not None or continuation:
        yield record, continuation


def in_year_key(month, day, hour, minute, second):
    return month * _MONTH_SPAN + day * DAY_SPAN + hour * 3600 + minute * 60 + second


def time_key(year, month, day, hour, minute, second):
    """Sort key of a timestamp, comparable with ``year * YEAR_SPAN + in_year_key(...)``."""
    return year * YEAR_SPAN + in_year_key(month, day, hour, minute, second)


def datetime_key(when):
    """Sort key of a naive :class:`datetime.datetime`."""
    return time_key(when.year, when.month, when.day, when.hour, when.minute, when.second)


def year_anchor(mtime, utc=False):
    """What year inference needs from a file's modification time (seconds since the epoch), read
    in local time or, for a log stamped in UTC, in UTC."""
    moment = time.gmtime(mtime) if utc else time.localtime(mtime)
    return Anchor(moment.tm_year,
                  in_year_key(moment.tm_mon, moment.tm_mday, moment.tm_hour, moment.tm_min, moment.tm_sec))


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


def record_year(record, anchor):
    """The year of RECORD: the one its stamp wrote, or the one inferred from ANCHOR."""
    return record.year if record.year is not None else infer_year(record.in_year_key, anchor)
