"""Log lines as each writer on a host writes them, plus continuations.

- `platform`: `Mon DD HH:MM:SS [PID:THREAD] LOGGER LEVEL message` (the platform and its C++ modules);
- `php`: the vendor PHP helper as it is now: `Mon D HH:MM:SS [PID] MODULE LEVEL message`, colour
  around level and message, stamped in UTC on hosts whose plan says so;
- `php_legacy`: the older helper, no colour, a blank line after each record, and its error handler's
  `Mon D HH:MM:SS [PID] ERROR: <errno>: <message>. In file: <path>. On line: <n>` (a record whose
  logger is empty);
- `python`: the platform's Python library: `YYYY-MM-DD HH:MM:SS,mmm [PID] LOGGER \x1b[1;31m ERROR
  message\x1b[0m`, its errors `Type: '..' Object: '..' Value: '..'` without `Error: `.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

# Month names are not localised by the platform, so they are spelled out rather than strftime'd.
MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
LEVELS = ('ERROR', 'WARNING', 'INFO', 'EXTINFO', 'DEBUG')

# Placement around the level word is the lab's assumption (the spec marks it so).
_COLOURS = {'ERROR': '\x1b[1;31m', 'WARNING': '\x1b[1;33m', 'INFO': '\x1b[32m',
            'EXTINFO': '\x1b[36m', 'DEBUG': '\x1b[37m'}
_RESET = '\x1b[0m'
ERROR_SUBSTRING = ' ERROR '
WRITERS = ('platform', 'php', 'php_legacy', 'python')
_ERROR_WORD = 'Error: '


@dataclass(frozen=True)
class Record:
    """One log record: a header line and the lines that continue it without a prefix."""

    when: datetime
    key: str  # 'PID:THREAD', or 'PID' in the logs of script modules
    logger: str
    level: str
    message: str
    continuation: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineStyle:
    color: bool = False
    day: str = 'space'  # 'space': 'May  5' (platform), 'zero': 'May 05', 'bare': 'May 5'
    writer: str = 'platform'  # one of WRITERS
    utc: bool = False  # stamps in UTC while the host's clock is local (the current PHP helper)


PLATFORM = LineStyle()


def stamp(when: datetime, day: str = 'space') -> str:
    if day == 'space':
        day_text = f'{when.day:2d}'
    elif day == 'zero':
        day_text = f'{when.day:02d}'
    else:
        day_text = str(when.day)
    return f'{MONTHS[when.month - 1]} {day_text} {when.hour:02d}:{when.minute:02d}:{when.second:02d}'


def level_word(level: str, color: bool) -> str:
    return f'{_COLOURS[level]}{level}{_RESET}' if color else level


def in_utc(when: datetime) -> datetime:
    """WHEN, the host's local time, as UTC (the lab host keeps the controller's zone)."""
    return datetime(1970, 1, 1) + timedelta(seconds=epoch_of(when)) + timedelta(microseconds=when.microsecond)


def render(record: Record, style: LineStyle = PLATFORM, stamp_text: str | None = None) -> str:
    if style.writer != 'platform':
        return _render_module(record, style)
    if stamp_text is None:
        stamp_text = stamp(record.when, style.day)
    head = f'{stamp_text} [{record.key}] {record.logger} {level_word(record.level, style.color)} {record.message}\n'
    if not record.continuation:
        return head
    return head + '\n'.join(record.continuation) + '\n'


def _render_module(record: Record, style: LineStyle) -> str:
    when = in_utc(record.when) if style.utc else record.when
    lines = list(record.continuation)
    if style.writer == 'python':
        message = record.message[len(_ERROR_WORD):] if record.message.startswith(_ERROR_WORD + 'Type: ') \
            else record.message
        head = (f"{when:%Y-%m-%d %H:%M:%S},{when.microsecond // 1000:03d} [{record.key}] {record.logger} "
                f"{_COLOURS[record.level]} {record.level} {message}")
        closing = _RESET
    elif style.writer == 'php':
        head = f'{stamp(when, style.day)} [{record.key}] {record.logger} {_COLOURS[record.level]}{record.level} {record.message}'
        closing = _RESET
    elif not record.logger:  # php_legacy's error handler: no logger, a colon after the level word
        head, closing = f'{stamp(when, style.day)} [{record.key}] {record.level}: {record.message}', ''
    else:
        head, closing = f'{stamp(when, style.day)} [{record.key}] {record.logger} {record.level} {record.message}', ''
    text = '\n'.join([head] + lines) + closing + '\n'
    return text + '\n' if style.writer == 'php_legacy' else text


@dataclass
class RenderedLog:
    """A log's text and the facts the summary reports about it."""

    text: str
    records: int
    error_records: int
    lines: int
    first: datetime | None
    last: datetime | None  # the newest timestamp, which the file's mtime follows


def render_log(records: list[Record], style: LineStyle = PLATFORM, line=render) -> RenderedLog:
    text = ''.join(line(record, style) for record in records)
    times = [record.when for record in records]
    return RenderedLog(
        text=text,
        records=len(records),
        error_records=sum(1 for record in records if record.level == 'ERROR'),
        lines=text.count('\n'),
        first=as_logged(min(times)) if times else None,
        last=as_logged(max(times)) if times else None,
    )


def as_logged(when: datetime | None) -> datetime | None:
    """The time as a line shows it: whole seconds."""
    return None if when is None else when.replace(microsecond=0)


def epoch_of(when: datetime) -> float:
    """Seconds since the epoch for naive local time, as the host's clock reads it."""
    return time.mktime(when.timetuple())


def set_mtime(path: Path, when: datetime) -> None:
    seconds = epoch_of(when)
    os.utime(path, (seconds, seconds))


def write_text(path: Path, text: str, mtime: datetime | None) -> None:
    with open(path, 'w', encoding='utf-8', newline='') as handle:
        handle.write(text)
    if mtime is not None:
        set_mtime(path, mtime)
