# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The search inside one buffer of log bytes, for ``logscan`` which fills the buffer.

The hot loop runs once per occurrence of a level word in a file and is written for that: the
word is found with libc ``strstr`` over the region, made a C string for the call by a NUL put at its
end and taken away again (glibc's vectorised ``strstr`` is about twice as fast as its ``memmem``,
which serves where no NUL can be put, and three times ``bytes.find``, which serves where ctypes is
missing), a line that cannot start with a header is dropped on its first byte, and the
header regex confirms the rest.  Every confirmed hit is counted; only the first ones wanted are
parsed in full, with their continuation lines and the lines of their thread around them.

The buffer always starts at a line start and holds ``WINDOW_BYTES`` before and after the region
searched, so nothing here reads the file.  Stdlib only and no Ansible imports.
"""

from __future__ import annotations

import re
from datetime import datetime

try:
    import ctypes
except ImportError:  # a Python built without libffi: bytes.find serves
    ctypes = None

from ansible_collections.billmgr.ops.plugins.module_utils._logs.logline import (
    ANSI_PATTERN,
    BARE_PREFIX_PATTERN,
    ERROR_PREFIX,
    HEADER_PREFIX_PATTERN,
    HEADER_START_PATTERN,
    MONTH_NUMBERS,
    STAMP_PID_PATTERN,
    TYPE_MARKER,
    YEAR_SPAN,
    in_year_key,
    infer_year,
    parse_error,
    parse_line,
    record_year,
    strip_ansi,
    trim_blank_tail,
)

# How far around a hit its continuation lines and its thread's neighbours are looked for.
WINDOW_BYTES = 256 * 1024
# A level word further than this from the start of its line is not in a header.
HEADER_MAX_BYTES = 1024
MAX_CONTINUATION_LINES = 1000
TRUNCATION_MARK = ' [... line cut at %d bytes]'

_NL = b'\n'
_ESC = b'\x1b'
# What may follow a level word: the message, the end of the line, a colour reset, or the colon of
# the PHP error handler's ``ERROR:``.
_AFTER_LEVEL = b' \t\r\n\x1b:'
_COLON = ord(':')
# What a header line can start with: a month, a year, a NUL left by a crash, a colour escape.
# Testing it first drops a level word in a continuation line (XML, a quoted error) without a regex.
_HEADER_FIRST = b'JFMASOND0123456789\x00\x1b'
# The same once the NULs a crash left in front of a record are passed over: a record starts after
# them, however long their run, and is found there.
_RECORD_FIRST = _HEADER_FIRST.replace(b'\x00', b'')
_ERROR_PREFIX = ERROR_PREFIX.encode('ascii')
_ERROR_PREFIX_SIZE = len(_ERROR_PREFIX)
_TYPE_MARKER = TYPE_MARKER.encode('ascii')
_PLATFORM_MARKER = _ERROR_PREFIX + _TYPE_MARKER
_TYPE_MARKER_SIZE = len(_TYPE_MARKER)
# Where the ``[`` of the process follows a month-and-day stamp, day padded or not: a line that
# has it there is of a known format, without asking a regex.
_FRAME_AT = (15, 14)
_FRAME = b' ['
_MONTHS = dict((name.encode('ascii'), number) for name, number in MONTH_NUMBERS.items())


def _without_groups(pattern):
    """PATTERN with its capturing groups made plain: the hot loop needs only a yes or no."""
    return re.sub(r'(?<!\\)\((?!\?)', '(?:', pattern)


# Header up to the level word, colour allowed just before the word (where writers put it).
_COLOUR_TEXT = '(?:' + ANSI_PATTERN + ' *)*'
_PREFIX_TEXT = HEADER_PREFIX_PATTERN + _COLOUR_TEXT
_BARE_TEXT = BARE_PREFIX_PATTERN + _COLOUR_TEXT
_PREFIX_RE = re.compile(_PREFIX_TEXT.encode('ascii'))
_BARE_RE = re.compile(_BARE_TEXT.encode('ascii'))
_CONFIRM_RE = re.compile(_without_groups(_PREFIX_TEXT).encode('ascii'))
_BARE_CONFIRM_RE = re.compile(_without_groups(_BARE_TEXT).encode('ascii'))
_STAMP_RE = re.compile(HEADER_START_PATTERN.encode('ascii'))
_STAMP_PID_RE = re.compile((STAMP_PID_PATTERN + ' ').encode('ascii'))
_FRAME_RE = re.compile(rb' *\[\d+(?::[^\]\s]+)?\]')
_ANSI_RE = re.compile(ANSI_PATTERN.encode('ascii'))


def _libc(name, argtypes):
    """The libc function NAME returning a pointer, or None where the symbol is missing (the
    callers ask only where ctypes is there: ARGTYPES are ctypes types)."""
    try:
        function = getattr(ctypes.CDLL(None), name)
    except (AttributeError, OSError, TypeError):
        return None
    function.restype = ctypes.c_void_p
    function.argtypes = argtypes
    return function


_MEMMEM = _libc('memmem', [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]) if ctypes else None
_STRSTR = _libc('strstr', [ctypes.c_void_p, ctypes.c_char_p]) if ctypes else None
_NUL = b'\x00'
_NOT_NUL = re.compile(b'[^\x00]')


class Finder:
    """``Finder(buf).over(token, hi)`` -> ``next_hit(start)``: the offset of the first TOKEN lying
    wholly in [START, HI) of BUF, or -1, as ``bytes.find`` answers."""

    def __init__(self, buf, use_libc=True):
        self.buf = buf
        self.memmem = _MEMMEM if use_libc else None
        self.strstr = _STRSTR if use_libc and _MEMMEM is not None else None
        self._pinned = None
        self.address = 0
        if self.memmem is not None:
            # An exported bytearray cannot be resized, so the address stays valid while pinned.
            self._pinned = (ctypes.c_char * len(buf)).from_buffer(buf)
            self.address = ctypes.addressof(self._pinned)

    def over(self, token, hi):
        if self.memmem is None:
            find = self.buf.find

            def next_hit(start):
                return find(token, start, hi)
            return next_hit
        # strstr needs a NUL after the region: the byte at HI lends its place during each call.
        if self.strstr is not None and hi < len(self.buf) and _NUL not in token:
            return self._c_string_search(token, hi)
        memmem, address, size = self.memmem, self.address, len(token)

        def next_hit(start):
            # A negative length would reach C as a huge size_t: refuse it here.
            if hi - start < size:
                return -1
            found = memmem(address + start, hi - start, token, size)
            return found - address if found else -1
        return next_hit

    def _c_string_search(self, token, hi):
        buf, strstr, address, size = self.buf, self.strstr, self.address, len(token)
        find_nul = buf.find

        def next_hit(start):
            while hi - start >= size:
                kept = buf[hi]
                buf[hi] = 0
                try:
                    found = strstr(address + start, token)
                finally:
                    buf[hi] = kept
                if found:
                    return found - address
                # strstr stops at the first NUL: one before HI (a crash leaves runs of them in a
                # log) ends only this stretch, and the search goes on after the run.
                nul = find_nul(_NUL, start, hi)
                if nul < 0:
                    return -1
                start = _after_nuls(buf, nul, hi)
            return -1
        return next_hit

    def release(self):
        self._pinned = None


class BufferSearch:
    """Searches lines of ``buf`` for OPTIONS' levels and records what it finds in TALLY.

    FINDER, when given, is the finder of another search over the same buffer.
    """

    def __init__(self, buf, options, tally, finder=None):
        self.buf = buf
        self.finder = finder or Finder(buf, options.use_libc)
        self.options = options
        self.tally = tally
        self.source = None
        self.stamped = None
        self.anchor = None
        self.window = None
        self._keys = {}

    def start_file(self, source, stamped):
        """Search lines of SOURCE, stamped as STAMPED (a ``logscan._Stamped``) says."""
        self.source = source
        self.stamped = stamped
        self.anchor = stamped.anchor
        self.window = stamped.window
        self._keys = {}

    # ---------------------------------------------------------------- time keys
    def key(self, month_name, day, year, month, iso_day, hour, minute, second):
        """Time key of a stamp's groups, in the zone of the file's stamps."""
        if month_name is not None:
            in_year = in_year_key(_MONTHS[month_name], int(day), int(hour), int(minute), int(second))
            return infer_year(in_year, self.anchor) * YEAR_SPAN + in_year
        return int(year) * YEAR_SPAN + in_year_key(int(month), int(iso_day), int(hour), int(minute), int(second))

    def header_key(self, data, start, end):
        """Time key of the header line starting at START of DATA, or None if it is no header."""
        match = _header_match(data, start, end)
        if match is None:
            return None
        # Neighbouring lines share their second: remember the last keys instead of rebuilding them.
        stamp = match.group(1, 2, 3, 4, 5, 6, 7, 8)
        key = self._keys.get(stamp)
        if key is None:
            if len(self._keys) > 4096:
                self._keys.clear()
            key = self._keys[stamp] = self.key(*stamp)
        return key

    def in_window(self, key):
        window = self.window
        return ((window.since_key is None or key >= window.since_key)
                and (window.until_key is None or key <= window.until_key))

    # ---------------------------------------------------------------- the hot loop
    def search(self, lo, hi, filled, base):
        """Count confirmed hits on lines starting in [LO, HI) of the buffer, whose first FILLED
        bytes are valid and start at file offset BASE; detail the first hits still wanted."""
        buf = self.buf
        find = buf.find
        rfind = buf.rfind
        confirm = _CONFIRM_RE.fullmatch
        startswith = buf.startswith
        options = self.options
        windowed = options.windowed
        pattern = options.pattern
        tally = self.tally
        error_types = tally.by_error_type
        need = tally.room()
        hits = []
        for level, token in options.tokens:
            next_hit = self.finder.over(token, hi)
            after_level = len(token)
            count = 0
            # Hits come in file order per level: only the first NEED of each level can be among
            # the first NEED of all of them.
            keep = need
            at = next_hit(lo)
            while at >= 0:
                line_start = rfind(_NL, 0, at) + 1
                if buf[line_start] not in _RECORD_FIRST or at - line_start > HEADER_MAX_BYTES:
                    if buf[line_start] != 0:
                        at = next_hit(at + 1)
                        continue
                    line_start = _after_nuls(buf, line_start, at)
                    if buf[line_start] not in _RECORD_FIRST or at - line_start > HEADER_MAX_BYTES:
                        at = next_hit(at + 1)
                        continue
                after = at + after_level
                if confirm(buf, line_start, at) is None:
                    # Mostly a platform line that quotes the level word: dropped at the first test.
                    if ((find(_ESC, line_start, at) < 0 and (after >= filled or buf[after] != _COLON)
                         and startswith(_FRAME, line_start + _FRAME_AT[0]))
                            or not self._other_header(line_start, at, after, filled, level)):
                        at = next_hit(at + 1)
                        continue
                elif after < filled and buf[after] not in _AFTER_LEVEL:
                    at = next_hit(at + 1)
                    continue
                line_end = find(_NL, after, filled)
                if line_end < 0:
                    line_end = filled
                if windowed and not self.in_window(self.header_key(buf, line_start, line_end)):
                    at = next_hit(line_end)
                    continue
                if pattern is not None and pattern.search(self._message(line_start, line_end, filled)) is None:
                    at = next_hit(line_end)
                    continue
                count += 1
                # The platform's marker first, as the common case costs one search; the Python
                # library's only where it is missing.
                error_at = find(_PLATFORM_MARKER, after, line_end)
                if error_at < 0:
                    error_at = find(_TYPE_MARKER, after, line_end)
                    if error_at >= 0 and not self._opens_message(after, error_at):
                        error_at = -1
                else:
                    error_at += _ERROR_PREFIX_SIZE
                if error_at >= 0:
                    error_at += _TYPE_MARKER_SIZE
                    type_end = find(b"'", error_at, line_end)
                    if type_end >= 0:
                        error_type = buf[error_at:type_end].decode('utf-8', 'replace')
                        error_types[error_type] = error_types.get(error_type, 0) + 1
                if keep:
                    hits.append((line_start, level))
                    keep -= 1
                at = next_hit(line_end)
            tally.add(self.source.log, level, count)
        if hits:
            hits.sort()
            for line_start, level in hits[:need]:
                if tally.offsets is None:
                    tally.matches.append(self._detail(line_start, level, filled, base))
                else:
                    tally.offsets.append(base + line_start)

    def _other_header(self, line_start, at, after, filled, level):
        """For a level word at AT that does not follow a platform header: True when the line is
        still a header of LEVEL (the PHP error handler's bare ``LEVEL:``, colour codes elsewhere).
        A line that starts with a stamp the grammar knows but not with its ``[PID]`` is counted as
        an unparsed header.  Off the hot path: only lines that quote a level word come here."""
        buf = self.buf
        if after < filled and buf[after] == _COLON and _BARE_CONFIRM_RE.fullmatch(buf, line_start, at) is not None:
            return True
        if buf.find(_ESC, line_start, at) >= 0 and self._coloured_header(line_start, filled, level):
            return True
        if not (buf.startswith(_FRAME, line_start + _FRAME_AT[0]) or buf.startswith(_FRAME, line_start + _FRAME_AT[1])):
            self._note_unparsed(line_start, at, filled, level)
        return False

    def _note_unparsed(self, line_start, at, filled, level):
        """Count the line at LINE_START once, at the first level word searched in its header part."""
        buf = self.buf
        head_end = min(filled, line_start + HEADER_MAX_BYTES)
        for other, token in self.options.tokens:
            if buf.find(token, line_start, at if other == level else head_end) >= 0:
                return
            if other == level:
                break
        text = bytes(buf[line_start:at])
        if _ESC in text:
            text = _ANSI_RE.sub(b'', text)
        stamp = _STAMP_RE.match(text)
        if stamp is None or _FRAME_RE.match(text, stamp.end()) is not None:
            return
        if self.options.windowed:
            key = self.header_key(self.buf, line_start, min(filled, line_start + HEADER_MAX_BYTES))
            if key is None or not self.in_window(key):
                return
        self.tally.unparsed += 1

    def _opens_message(self, after, marker_at):
        """True when only blanks and colour stand between the level word and MARKER_AT."""
        between = bytes(self.buf[after:marker_at])
        if _ESC in between:
            between = _ANSI_RE.sub(b'', between)
        return not between.strip(b' \t:')

    def _coloured_header(self, line_start, filled, level):
        """True when the line is a header of LEVEL once its colour codes are gone."""
        line_end = self.buf.find(_NL, line_start, min(filled, line_start + 4 * HEADER_MAX_BYTES))
        raw = bytes(self.buf[line_start:line_end if line_end >= 0 else min(filled, line_start + 4 * HEADER_MAX_BYTES)])
        text = _ANSI_RE.sub(b'', raw)
        token = level.encode('ascii')
        for prefix, after_set in ((_PREFIX_RE, _AFTER_LEVEL), (_BARE_RE, b':')):
            match = prefix.match(text)
            if match is None or not text.startswith(token, match.end()):
                continue
            after = match.end() + len(token)
            if (after >= len(text) and prefix is _PREFIX_RE) or (after < len(text) and text[after] in after_set):
                return True
        return False

    # ---------------------------------------------------------------- records in full
    def _line_end(self, start, filled):
        end = self.buf.find(_NL, start, filled)
        return filled if end < 0 else end

    def _decoded(self, start, end, limit=None):
        """Bytes [START, END) of the buffer as text: bounded, colourless, without CR."""
        limit = max(limit or 0, self.options.max_line_bytes)
        cut = end - start > limit
        text = strip_ansi(self.buf[start:start + limit if cut else end].decode('utf-8', 'replace')).rstrip('\r')
        return text + TRUNCATION_MARK % limit if cut else text

    def _line_text(self, start, end):
        """A line for the results: NULs (which JSON readers mishandle) shown as U+FFFD."""
        return self._decoded(start, end).replace('\x00', '\ufffd')

    def _following_lines(self, line_end, filled, limit):
        """Continuation lines after a header line ending at LINE_END (blank lines closing the
        record left out), and where they stop."""
        lines = []
        start = line_end + 1
        stop = min(filled, limit)
        while start < stop and len(lines) < MAX_CONTINUATION_LINES:
            end = self._line_end(start, filled)
            head = _after_nuls(self.buf, start, end)
            if _header_match(self.buf, head, min(end, head + HEADER_MAX_BYTES)) is not None:
                break
            lines.append(self._line_text(start, end))
            start = end + 1
        return trim_blank_tail(lines), start

    def _record(self, line_start, line_end):
        """The confirmed header line at LINE_START, parsed (its message cut at max_line_bytes)."""
        record = parse_line(self._decoded(line_start, line_end))
        if record is None:
            # max_line_bytes cut the line inside its header: read as much as a header can take.
            record = parse_line(self._decoded(line_start, line_end, HEADER_MAX_BYTES + 64))
        return record._replace(message=record.message.replace('\x00', '\ufffd'))

    def _message(self, line_start, line_end, filled):
        """The message of the header line at LINE_START, continuation lines joined by newlines."""
        record = self._record(line_start, line_end)
        following = self._following_lines(line_end, filled, line_start + WINDOW_BYTES)[0]
        return '\n'.join([record.message] + following)

    def _detail(self, line_start, level, filled, base):
        line_end = self._line_end(line_start, filled)
        record = self._record(line_start, line_end)
        following, record_end = self._following_lines(line_end, filled, line_start + WINDOW_BYTES)
        context = []
        if self.options.context:
            token = ('[%s]' % record.thread_key).encode('ascii')
            context = (self._thread_before(token, line_start, filled)
                       + self._thread_after(token, line_start, record_end, filled))
        return {
            'log': self.source.log,
            'file': self.source.path,
            'offset': base + line_start,
            'time': _iso(record_year(record, self.anchor), record, self.stamped.zone),
            'pid': record.pid,
            'thread': record.thread,
            'thread_key': record.thread_key,
            'logger': record.logger,
            'level': level,
            'message': '\n'.join([record.message] + following),
            'error': parse_error(record.message),
            'context': context,
        }

    # ---------------------------------------------------------------- the thread around a hit
    def _thread_line_start(self, at, token):
        """Start of the line whose header carries TOKEN (``[PID:THREAD]``) at AT, or None."""
        line_start = _after_nuls(self.buf, self.buf.rfind(_NL, 0, at) + 1, at)
        if at - line_start > HEADER_MAX_BYTES:
            return None
        token_end = at + len(token)
        match = _STAMP_PID_RE.match(self.buf, line_start, token_end + 1)
        if match is not None:
            return line_start if match.end() == token_end + 1 else None
        if self.buf.find(_ESC, line_start, at) < 0:
            return None
        text = _ANSI_RE.sub(b'', bytes(self.buf[line_start:token_end + 1]))
        match = _STAMP_PID_RE.match(text)
        return line_start if match is not None and match.end() == len(text) else None

    def _thread_record(self, line_start, filled, limit):
        line_end = self._line_end(line_start, filled)
        following = self._following_lines(line_end, filled, limit)[0]
        return [self._line_text(line_start, line_end)] + following

    def _thread_before(self, token, line_start, filled):
        wanted = self.options.lines_before
        floor = max(0, line_start - WINDOW_BYTES)
        found = []
        at = self.buf.rfind(token, floor, line_start)
        while at >= 0 and len(found) < wanted:
            other = self._thread_line_start(at, token)
            if other is not None:
                found[:0] = self._thread_record(other, filled, line_start)
            else:
                other = self.buf.rfind(_NL, floor, at) + 1
            at = self.buf.rfind(token, floor, other) if other > floor else -1
        return found[-wanted:] if wanted else []

    def _thread_after(self, token, line_start, record_end, filled):
        wanted = self.options.lines_after
        ceiling = min(filled, line_start + WINDOW_BYTES)
        found = []
        at = self.buf.find(token, record_end, ceiling)
        while at >= 0 and len(found) < wanted:
            other = self._thread_line_start(at, token)
            if other is not None:
                found.extend(self._thread_record(other, filled, ceiling))
            at = self.buf.find(token, self._line_end(at, ceiling), ceiling)
        return found[:wanted]


def _after_nuls(data, start, end):
    """Where a record starts that a crash's run of NULs at START may precede: the first offset from
    START that holds no NUL, or END."""
    if start >= end or data[start] != 0:
        return start
    found = _NOT_NUL.search(data, start, end)
    return end if found is None else found.start()


def _header_match(data, start, end):
    """The stamp match of the line at START of DATA if it starts a record (colour removed if need be)."""
    if start >= end or data[start] not in _HEADER_FIRST:
        return None
    match = _STAMP_RE.match(data, start, end)
    if match is None and data.find(_ESC, start, end) >= 0:
        match = _STAMP_RE.match(_ANSI_RE.sub(b'', bytes(data[start:end])))
    return match


def newest_stamp(block):
    """Groups 1-8 of the stamp of the last line of BLOCK that starts a record, or None."""
    end = len(block)
    while end > 0:
        start = block.rfind(_NL, 0, end - 1) + 1
        match = _header_match(block, start, min(end, start + HEADER_MAX_BYTES))
        if match is not None:
            return match.group(1, 2, 3, 4, 5, 6, 7, 8)
        end = start
    return None


def _iso(year, record, zone):
    try:
        when = datetime(year, record.month, record.day, record.hour, record.minute, record.second)
    except ValueError:
        # A day the inferred year does not have (Feb 29): say what the log says.
        return '%04d-%02d-%02dT%02d:%02d:%02d' % (year, record.month, record.day, record.hour,
                                                  record.minute, record.second)
    return zone.iso(when)
