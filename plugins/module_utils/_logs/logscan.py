# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find records of given levels in platform logs of any size, in bounded memory.

``scan(sources, levels, pattern, since, until, ...) -> dict`` is the entry point; the ``log_grep``
module and the benchmark both call it.  This file decides what to read; ``logsearch`` searches
what was read.

* A file is read in chunks into one reused buffer; nothing ever holds a whole file or its lines.
* A time window on a plain file is found by bisecting on header timestamps, widened by
  ``disorder_seconds`` because threads write slightly out of order; every hit is then checked
  exactly.  Compressed archives cannot be bisected: they are read as streams, skipped whole when
  they cannot overlap the window (``archiveplan``: their mtime, their first record, the first
  record of the file rotated after them), and left once past it.
* A large plain range is cut at header lines into parts searched by forked workers at once (the
  search is CPU-bound and a host has more than one CPU); each returns its counts and its first
  matches through a pipe, merged in file order.
* Each file's stamps are read in its own zone (``logzone``): the window is moved into that zone
  and times come back with its real offset.

Stdlib only and no Ansible imports.
"""

from __future__ import annotations

import bz2
import fnmatch
import gzip
import io
import json
import lzma
import os
import re
import signal
import struct
import zlib
from collections import namedtuple
from datetime import datetime, timedelta

from ansible_collections.billmgr.ops.plugins.module_utils._logs.archiveplan import FileSpan, outside_window
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import open_stream
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logline import (
    LEVELS,
    YEAR_SPAN,
    datetime_key,
    in_year_key,
    infer_year,
    stamp_fields,
    year_anchor,
)
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logsearch import (
    HEADER_MAX_BYTES,
    WINDOW_BYTES,
    BufferSearch,
    newest_stamp,
)
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logzone import AUTO, ZONE_CHOICES, ZONES, zone_of
from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import parse_time_or_relative

# Large enough that per-read costs vanish, small enough that the buffer stays in the CPU cache
# between the read that fills it and the search that follows (16 MiB measured twice as slow).
CHUNK_BYTES = 8 * 1024 * 1024
DISORDER_SECONDS = 300
CONTEXT_MODES = ('thread', 'none')
# Below this a plain range is searched by one process: a fork costs more than it saves.
PARALLEL_MIN_BYTES = 32 * 1024 * 1024
MAX_WORKERS = 2
# What detailing the first matches (context, thread) costs, in bytes searched in the same time.
DETAIL_BYTES = 12 * 1024 * 1024
_BISECT_BLOCK = 64 * 1024
_NL = b'\n'
_COMPRESSED = (
    (b'\x1f\x8b', lambda raw: gzip.GzipFile(fileobj=raw, mode='rb')),
    (b'BZh', lambda raw: bz2.BZ2File(raw, mode='rb')),
    (b'\xfd7zXZ\x00', lambda raw: lzma.LZMAFile(raw, mode='rb')),
)

# How much of an archive's start is decompressed to find its first record.
ARCHIVE_PROBE_BYTES = 256 * 1024
# How much of a file's end is read to find its newest record, for its zone.
ZONE_PROBE_BYTES = 64 * 1024

LogSource = namedtuple('LogSource', 'log path')
# How one file is stamped: its zone, the year anchor of its mtime in that zone, and the window's
# time keys in that zone.
_Stamped = namedtuple('_Stamped', 'zone anchor window')


class LogScanError(Exception):
    """A log that exists but cannot be read; the message names the file."""


class _ArchiveUnreadable(Exception):
    """A compressed archive that breaks off or is not what its first bytes say: skipped, said."""


# What a broken compressed stream raises, by compression.
_STREAM_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error)


def scan(sources, levels=('ERROR',), pattern=None, since=None, until=None, context='thread',
         context_lines=20, max_matches=100, max_line_bytes=8192, chunk_bytes=CHUNK_BYTES,
         disorder_seconds=DISORDER_SECONDS, workers=None, parallel_min_bytes=PARALLEL_MIN_BYTES,
         use_libc=True, zones=None):
    """Records of LEVELS in SOURCES (read in the order given), as the dict ``log_grep`` returns.

    SOURCES: :class:`LogSource` tuples, or paths (the log is then named after the file).
    LEVELS: level names (one name alone will do).
    PATTERN: a regex (text or compiled) searched in the message, continuation lines included.
    SINCE, UNTIL: both ends included; naive local datetimes, or text as ``timespec`` reads it
    (``'1h'``, ``'2024-03-06T18:33:00'``).
    WORKERS: processes for a large plain file (default: up to MAX_WORKERS, one per CPU).
    ZONES: ``{log name or glob: 'auto'|'local'|'utc'}``, how each log is stamped (default: auto,
    told from its newest record against its mtime; a compressed archive takes its live log's zone).
    Returns ``matches`` (the first MAX_MATCHES, in file order), ``counts`` (over every match),
    ``scanned_bytes``, ``truncated``, ``unparsed_headers`` (lines that start with a time stamp
    but not with the ``[PID]`` of a known format, among those holding a level word searched for)
    and ``zones`` (the zone each log was read in).
    """
    if isinstance(levels, str):
        levels = [levels]
    now = datetime.now()
    since = parse_time_or_relative(since, now, 'since') if since is not None else None
    until = parse_time_or_relative(until, now, 'until') if until is not None else None
    unknown = [level for level in levels if level not in LEVELS]
    if unknown:
        raise ValueError('unknown level %s: use %s' % (', '.join(unknown), ', '.join(LEVELS)))
    if context not in CONTEXT_MODES:
        raise ValueError('context must be one of %s' % ', '.join(CONTEXT_MODES))
    if isinstance(pattern, str):
        pattern = re.compile(pattern)
    if workers is None:
        workers = min(MAX_WORKERS, os.cpu_count() or 1)
    options = _Options(levels, pattern, since, until, context, context_lines, max_line_bytes,
                       chunk_bytes, disorder_seconds, workers, parallel_min_bytes, use_libc)
    sources = [source if isinstance(source, LogSource) else LogSource(_log_name(os.fspath(source)), os.fspath(source))
               for source in sources]
    resolver = _ZoneResolver(sources, zones)
    tally = _Tally(options.levels, max_matches)
    buf = _take_buffer(options)
    search = BufferSearch(buf, options, tally)
    try:
        skipped = _archives_outside(sources, options, search, resolver) if options.windowed else ()
        for index, source in enumerate(sources):
            tally.by_log.setdefault(source.log, 0)
            if index not in skipped:
                _FileScan(source, options, search, resolver).run()
    finally:
        search.finder.release()
        _SPARE_BUFFERS[:] = [buf]
    result = tally.result()
    result['zones'] = resolver.used
    return result


def _log_name(path):
    name = os.path.basename(path)
    return name[:-4] if name.endswith('.log') else name


# The buffer of the last scan, for the next one in this process: allocating and zeroing megabytes
# is a measurable part of a short windowed scan.
_SPARE_BUFFERS = []


def _buffer_size(options):
    return options.chunk_bytes + 2 * WINDOW_BYTES + 2 * HEADER_MAX_BYTES


def _take_buffer(options):
    size = _buffer_size(options)
    while _SPARE_BUFFERS:
        spare = _SPARE_BUFFERS.pop()
        if len(spare) == size:
            return spare
    return bytearray(size)


def _archives_outside(sources, options, search, resolver):
    """Indexes of the compressed archives in SOURCES that cannot overlap the window (``archiveplan``).

    Each file of a log with archives is opened once to bound it: its mtime, and its first record
    (a plain file's first header line; an archive's among its first ARCHIVE_PROBE_BYTES, which
    costs a few milliseconds of decompression instead of the whole archive).
    """
    by_log = {}
    for index, source in enumerate(sources):
        by_log.setdefault(source.log, []).append(index)
    skipped = set()
    for indexes in by_log.values():
        # A file alone has no neighbour to bound it: its own mtime, checked as it is read, will do.
        if len(indexes) < 2:
            continue
        known = [_span_of(sources[index], options, search, resolver) for index in indexes]
        spans = [span for span, unused_window in known]
        windows = set(window for unused_span, window in known if window is not None)
        # Every file of a log is stamped in one zone (an archive takes its live file's), so one
        # window serves them all; anything else, and nothing is skipped.
        if len(windows) != 1 or not any(span.skippable for span in spans):
            continue
        window = windows.pop()
        for number in outside_window(spans, window.since_read_key, window.until_read_key):
            skipped.add(indexes[number])
    return skipped


def _span_of(source, options, search, resolver):
    """``(FileSpan, window)``: what one file's time range is known to be without reading it, and
    the window in the zone it is stamped in (None when the file cannot be opened)."""
    file_scan = _FileScan(source, options, search, resolver)
    try:
        raw = open_stream(source.path, 'log')
    except OSError:
        return FileSpan(None, None, False), None  # the scan itself reports it
    try:
        opener, stat = file_scan._stamp(raw)
        anchor = file_scan.stamped.anchor
        end = anchor.year * YEAR_SPAN + anchor.in_year_key
        if opener is None:
            first = next(file_scan._headers(raw.fileno(), 0, stat.st_size), (None, None))[1]
            return FileSpan(first, end, False), file_scan.stamped.window
        stream = opener(raw)
        first, head = None, b''
        try:
            # Most archives start with a header line: a few kilobytes answer, the rest only
            # when a long message comes first.
            while first is None and len(head) < ARCHIVE_PROBE_BYTES:
                more = stream.read(max(len(head), 4096))
                if not more:
                    break
                head += more
                first = _first_key(search, head)
        finally:
            stream.close()
        return FileSpan(first, end, True), file_scan.stamped.window
    except _STREAM_ERRORS:
        # A broken archive is read in full, so that its damage is reported where it is.
        return FileSpan(None, None, False), file_scan.stamped.window
    finally:
        raw.close()


def _first_key(search, block):
    """Time key of the first header line in BLOCK (a file's first bytes), or None."""
    start = 0
    while start < len(block):
        key = search.header_key(block, start, min(len(block), start + HEADER_MAX_BYTES))
        if key is not None:
            return key
        newline = block.find(_NL, start)
        if newline < 0:
            return None
        start = newline + 1
    return None


class _Options:
    """What the search is for, prepared once: level tokens, time keys, context bounds."""

    def __init__(self, levels, pattern, since, until, context, context_lines, max_line_bytes,
                 chunk_bytes, disorder_seconds, workers, parallel_min_bytes, use_libc):
        # In LEVELS order and without repeats, so counts do not depend on how levels were asked.
        self.levels = [level for level in LEVELS if level in levels]
        self.tokens = [(level, level.encode('ascii')) for level in self.levels]
        self.pattern = pattern
        self.since = since
        self.until = until
        self.slack = timedelta(seconds=disorder_seconds)
        self.windowed = since is not None or until is not None
        self._windows = {}
        self.context = context != 'none' and context_lines > 0
        self.lines_before = context_lines - context_lines // 2
        self.lines_after = context_lines // 2
        self.max_line_bytes = max_line_bytes
        self.chunk_bytes = chunk_bytes
        self.workers = max(1, workers)
        self.parallel_min_bytes = parallel_min_bytes
        self.use_libc = use_libc

    def window(self, zone):
        """The window's time keys for a file stamped in ZONE."""
        if zone.name not in self._windows:
            self._windows[zone.name] = _Window(self, zone)
        return self._windows[zone.name]


class _Window:
    """Time keys of the window, moved into the zone a file is stamped in."""

    def __init__(self, options, zone):
        since = zone.from_local(options.since) if options.since is not None else None
        until = zone.from_local(options.until) if options.until is not None else None
        self.since_key = datetime_key(since) if since is not None else None
        self.until_key = datetime_key(until) if until is not None else None
        # Where reading starts and stops: the window widened by the disorder threads write in.
        self.since_read_key = datetime_key(since - options.slack) if since is not None else None
        self.until_read_key = datetime_key(until + options.slack) if until is not None else None


class _ZoneResolver:
    """The zone each file is read in: given per log, or told from the file (see ``logzone``)."""

    def __init__(self, sources, zones):
        self.sources = sources
        self.zones = zones or {}
        for name, choice in self.zones.items():
            if choice not in ZONE_CHOICES:
                raise ValueError('zone of %s must be one of %s, not %r' % (name, ', '.join(ZONE_CHOICES), choice))
        self.used = {}
        self._live = {}

    def choice(self, log):
        if log in self.zones:
            return self.zones[log]
        for pattern, choice in self.zones.items():
            if fnmatch.fnmatchcase(log, pattern):
                return choice
        return AUTO

    def zone(self, source, fd, size, mtime, compressed):
        choice = self.choice(source.log)
        if choice != AUTO:
            zone = ZONES[choice]
        elif compressed:
            zone = self._live_zone(source)
        else:
            zone = _told_zone(fd, size, mtime)
        self.used[source.log] = zone.name
        return zone

    def _live_zone(self, archive):
        """A compressed archive cannot be read from its end: it takes the zone of its log's plain file."""
        if archive.log not in self._live:
            plain = [source for source in self.sources if source.log == archive.log and source is not archive]
            self._live[archive.log] = ZONES['local']
            for source in reversed(plain):
                try:
                    with io.FileIO(source.path, 'r') as raw:
                        head = raw.read(10)
                        if any(head.startswith(magic) for magic, unused_opener in _COMPRESSED):
                            continue
                        stat = os.fstat(raw.fileno())
                        self._live[archive.log] = _told_zone(raw.fileno(), stat.st_size, stat.st_mtime)
                        break
                except OSError:
                    continue
        return self._live[archive.log]


def _told_zone(fd, size, mtime):
    """The zone of a plain file, told from its newest record (the last one in its last block)."""
    start = max(0, size - ZONE_PROBE_BYTES)
    block = os.pread(fd, size - start, start)
    if start:
        block = block[block.find(_NL) + 1:]
    groups = newest_stamp(block)
    if groups is None:
        return ZONES['local']
    year, month, day, hour, minute, second = stamp_fields(
        tuple(group.decode('ascii') if isinstance(group, bytes) else group for group in groups))

    def newest(zone):
        written = year
        if written is None:
            written = infer_year(in_year_key(month, day, hour, minute, second), year_anchor(mtime, zone.utc))
        try:
            return datetime(written, month, day, hour, minute, second)
        except ValueError:
            return None
    return zone_of(newest, mtime)


class _Tally:
    """What a scan learns: every count, and the first CAPACITY matches in full.

    A worker's tally keeps OFFSETS of its first matches instead: the parent details them only if
    its own part left room, which it seldom does.
    """

    def __init__(self, levels, capacity, offsets_only=False):
        self.capacity = capacity
        self.total = 0
        self.by_log = {}
        self.by_level = dict((level, 0) for level in levels)
        self.by_error_type = {}
        self.matches = []
        self.offsets = [] if offsets_only else None
        self.scanned_bytes = 0
        self.unparsed = 0
        self.skipped = []

    def room(self):
        return self.capacity - len(self.matches) - len(self.offsets or ())

    def add(self, log, level, count):
        self.by_level[level] += count
        self.by_log[log] = self.by_log.get(log, 0) + count
        self.total += count

    def to_dict(self):
        return {'total': self.total, 'by_log': self.by_log, 'by_level': self.by_level,
                'by_error_type': self.by_error_type, 'offsets': self.offsets,
                'scanned_bytes': self.scanned_bytes, 'unparsed': self.unparsed}

    def merge_counts(self, other):
        """Add the counts of a worker's tally (``to_dict`` form)."""
        self.total += other['total']
        self.scanned_bytes += other['scanned_bytes']
        self.unparsed += other['unparsed']
        for mine, theirs in ((self.by_log, other['by_log']), (self.by_level, other['by_level']),
                             (self.by_error_type, other['by_error_type'])):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count

    def result(self):
        return {
            'matches': self.matches,
            'counts': {'by_log': self.by_log, 'by_level': self.by_level,
                       'by_error_type': self.by_error_type},
            'scanned_bytes': self.scanned_bytes,
            'truncated': self.total > len(self.matches),
            'unparsed_headers': self.unparsed,
            'unreadable_archives': self.skipped,
        }


class _FileScan:
    """One file: how to read it, which part of it, by how many processes."""

    def __init__(self, source, options, search, resolver=None):
        self.source = source
        self.options = options
        self.search = search
        self.resolver = resolver
        self.stamped = None
        self.fd = None

    def run(self):
        try:
            # Regular files only: a FIFO would hang the scan and /dev/zero never ends.
            raw = open_stream(self.source.path, 'log')
        except OSError as exc:
            raise LogScanError('cannot read %s: %s' % (self.source.path, exc.strerror or exc))
        try:
            self._run(raw)
        except _ArchiveUnreadable as exc:
            # One broken archive must not cost the rest of a rotated scan; what it held up to the
            # break is counted, and the skip is reported.
            self.search.tally.skipped.append({'path': self.source.path, 'reason': str(exc)})
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise LogScanError('cannot read %s: %s' % (self.source.path, exc))
        finally:
            raw.close()

    def _stamp(self, raw):
        """How RAW is stamped (``self.stamped``); its opener if compressed, and its stat."""
        head = raw.read(10)
        raw.seek(0)
        opener = next((opener for magic, opener in _COMPRESSED if head.startswith(magic)), None)
        stat = os.fstat(raw.fileno())
        mtime = stat.st_mtime
        if head.startswith(_COMPRESSED[0][0]):
            mtime = _gzip_mtime(head) or mtime
        zone = self.resolver.zone(self.source, raw.fileno(), stat.st_size, mtime, opener is not None)
        self.stamped = _Stamped(zone, year_anchor(mtime, zone.utc), self.options.window(zone))
        self.search.start_file(self.source, self.stamped)
        return opener, stat

    def _run(self, raw):
        opener, stat = self._stamp(raw)
        anchor, window = self.stamped.anchor, self.stamped.window
        if window.since_key is not None:
            # Nothing is written to a file after its mtime: a file last written before the window
            # holds nothing in it.
            if anchor.year * YEAR_SPAN + anchor.in_year_key < window.since_read_key:
                return
        if opener is not None:
            stream = opener(raw)
            try:
                _ChunkLoop(self.search, stream, 0, 0, None, stop_key=window.until_read_key).run()
            except _STREAM_ERRORS as exc:
                raise _ArchiveUnreadable('a corrupt or truncated archive (%s): read up to the damage, '
                                         'the rest skipped' % (exc,))
            finally:
                try:
                    stream.close()
                except _STREAM_ERRORS:
                    pass
            return
        start, end = 0, stat.st_size
        if window.since_key is not None:
            start = self._bisect(raw.fileno(), stat.st_size, window.since_read_key)
        if window.until_key is not None:
            end = self._bisect(raw.fileno(), stat.st_size, window.until_read_key + 1)
        if end <= start:
            return
        parts = self._split(raw.fileno(), start, end)
        self.fd = raw.fileno()
        # Workers start first so that they search while this process searches the first part.
        # A part no worker could be forked for is searched here, in its turn; a worker not
        # collected (this process failed) is killed.
        workers = []
        try:
            for part in parts[1:]:
                workers.append(_Worker.start_on(self, *part) or part)
            self._scan_plain(raw, *parts[0])
            for worker in workers:
                if isinstance(worker, _Worker):
                    self._merge(raw, worker)
                else:
                    self._scan_plain(raw, *worker)
        finally:
            for worker in workers:
                if isinstance(worker, _Worker):
                    worker.kill()

    def _merge(self, raw, worker):
        """A worker's counts, and in full as many of its first matches as there is room for.

        Those are found again by searching its part up to the last one wanted, with a tally that
        keeps the matches and drops the counts (already taken from the worker).
        """
        answer = worker.collect()
        tally = self.search.tally
        tally.merge_counts(answer)
        wanted = answer['offsets'][:tally.room()]
        if not wanted:
            return
        again = _Tally(self.options.levels, len(wanted))
        search = BufferSearch(self.search.buf, self.options, again, self.search.finder)
        search.start_file(self.source, self.stamped)
        end = _next_line_start(raw.fileno(), wanted[-1]) or os.fstat(raw.fileno()).st_size
        _FileScan(self.source, self.options, search)._scan_plain(raw, worker.start, end)
        tally.matches.extend(again.matches)

    def _scan_plain(self, raw, start, end):
        read_from = max(0, start - WINDOW_BYTES)
        raw.seek(read_from)
        if hasattr(os, 'posix_fadvise'):
            os.posix_fadvise(raw.fileno(), read_from, end - read_from + WINDOW_BYTES, os.POSIX_FADV_SEQUENTIAL)
        _ChunkLoop(self.search, raw, read_from, start, end).run()

    def _split(self, fd, start, end):
        """[START, END) cut at header lines into parts for the workers (one part if small)."""
        count = self.options.workers
        if count < 2 or end - start < self.options.parallel_min_bytes or not hasattr(os, 'fork'):
            return [(start, end)]
        # This process also details the first matches (their context and thread), which costs
        # about as much as searching DETAIL_BYTES: its part is that much smaller, so that all
        # parts end together.
        handicap = min(DETAIL_BYTES, (end - start) // count) if self.search.tally.room() > 0 else 0
        own = (end - start - handicap) // count
        cuts = [start]
        for number in range(1, count):
            at = start + own + (end - start - own) * (number - 1) // (count - 1)
            found = next(self._headers(fd, at, end), None)
            if found is not None and found[0] > cuts[-1]:
                cuts.append(found[0])
        cuts.append(end)
        return list(zip(cuts[:-1], cuts[1:]))

    # ---------------------------------------------------------------- bisecting a plain file
    def _bisect(self, fd, size, target):
        """Offset of the first header line whose time key is at least TARGET (SIZE if none)."""
        lo, hi = 0, size
        while hi - lo > _BISECT_BLOCK:
            mid = (lo + hi) // 2
            found = next(self._headers(fd, mid, hi), None)
            if found is None:
                hi = mid
            elif found[1] < target:
                lo = found[0]
            else:
                hi = found[0]
        for offset, key in self._headers(fd, lo, size):
            if key >= target:
                return offset
        return size

    def _headers(self, fd, offset, limit):
        """``(offset, key)`` of each header line starting in [OFFSET, LIMIT), read in small blocks."""
        start = offset if offset == 0 else _next_line_start(fd, offset - 1, limit)
        while start is not None and start < limit:
            block = os.pread(fd, _BISECT_BLOCK, start)
            if not block:
                return
            whole = len(block) == _BISECT_BLOCK
            i = 0
            while start + i < limit and i < len(block):
                if whole and len(block) - i < HEADER_MAX_BYTES:
                    break
                key = self.search.header_key(block, i, min(len(block), i + HEADER_MAX_BYTES))
                if key is not None:
                    yield start + i, key
                newline = block.find(_NL, i)
                if newline < 0:
                    if not whole:
                        return
                    i = (_next_line_start(fd, start + len(block), limit) or limit) - start
                    break
                i = newline + 1
            start += i


class _ChunkLoop:
    """Feeds a stream to a BufferSearch chunk by chunk.

    The buffer always starts at a line start.  Each round it searches the lines starting in a
    region that leaves WINDOW_BYTES after it (context of the last hits), then keeps up to
    WINDOW_BYTES before the next region (context of the next hits) and what was not searched.
    """

    def __init__(self, search, stream, read_from, scan_from, scan_to, stop_key=None):
        self.search = search
        self.stream = stream
        self.base = read_from          # file offset of buf[0]
        self.scan_from = scan_from     # file offset of the next line to search
        self.scan_to = scan_to         # file offset where searching stops (None: end of stream)
        self.stop_key = stop_key       # a stream is left once a region starts past this time
        self.read_limit = None if scan_to is None else scan_to + WINDOW_BYTES + HEADER_MAX_BYTES
        self.filled = 0
        self.eof = False

    def run(self):
        buf = self.search.buf
        view = memoryview(buf)
        started_at = self.scan_from
        try:
            self._fill(view)
            if 0 < self.base < self.scan_from:
                if self.filled < self.scan_from - self.base:
                    # The file was truncated below this part while it was read: nothing is left.
                    return
                # Reading started early for context: drop the partial line it started in.
                newline = buf.find(_NL, 0, self.scan_from - self.base)
                self._drop(view, newline + 1 if newline >= 0 else self.scan_from - self.base)
            while self._round(buf, view):
                self._fill(view)
        finally:
            view.release()
            # A file truncated under the scan ends it early; it never counts backwards.
            self.search.tally.scanned_bytes += max(0, self.scan_from - started_at)

    def _fill(self, view):
        capacity = len(view)
        while self.filled < capacity and not self.eof:
            room = capacity if self.read_limit is None else min(capacity, self.read_limit - self.base)
            got = self.stream.readinto(view[self.filled:room]) if room > self.filled else 0
            if not got:
                self.eof = True
            else:
                self.filled += got

    def _drop(self, view, count):
        """Forget the first COUNT bytes of the buffer."""
        if count:
            view[0:self.filled - count] = view[count:self.filled]
            self.filled -= count
            self.base += count

    def _round(self, buf, view):
        """Search one region; False when the stream is done."""
        search = self.search
        lo = self.scan_from - self.base
        filled = self.filled
        if self.stop_key is not None:
            key = search.header_key(buf, lo, min(filled, lo + HEADER_MAX_BYTES))
            if key is not None and key > self.stop_key:
                return False
        hard = filled if self.eof else filled - WINDOW_BYTES
        last = False
        if self.scan_to is not None and self.scan_to - self.base <= hard:
            hi, last = self.scan_to - self.base, True
        elif self.eof:
            hi, last = filled, True
        else:
            hi = buf.rfind(_NL, lo, hard) + 1
        if hi > lo or last:
            search.search(lo, hi, filled, self.base)
            self.scan_from = self.base + hi
            if not last:
                self._drop(view, self._context_start(buf, hi))
            return not last
        # One line longer than the buffer ahead: only its start can hold a header.  Search that,
        # then skip to the line's end.
        search.search(lo, min(hard, lo + HEADER_MAX_BYTES + 16), filled, self.base)
        self._drop(view, hard)
        return self._skip_long_line(buf, view)

    def _context_start(self, buf, hi):
        """Where the kept context before offset HI starts: a line start about WINDOW_BYTES back."""
        if hi <= WINDOW_BYTES:
            return 0
        newline = buf.find(_NL, hi - WINDOW_BYTES, hi)
        return newline + 1 if newline >= 0 else hi

    def _skip_long_line(self, buf, view):
        while True:
            self._fill(view)
            newline = buf.find(_NL, 0, self.filled)
            if newline >= 0:
                self._drop(view, newline + 1)
                self.scan_from = self.base
                return True
            self._drop(view, self.filled)
            self.scan_from = self.base
            if self.eof:
                return False


class _Worker:
    """A forked process searching [START, END) of a plain file; ``collect()`` gives its tally."""

    def __init__(self, pid, reader, start):
        self.pid = pid
        self.reader = reader
        self.start = start

    @classmethod
    def start_on(cls, file_scan, start, end):
        """A running worker, or None when the host lets this process fork no more."""
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return None
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            os.close(read_fd)
            _worker_main(file_scan, start, end, write_fd)
        os.close(write_fd)
        return cls(pid, os.fdopen(read_fd, 'rb'), start)

    def collect(self):
        try:
            payload = self.reader.read()
        finally:
            self._reap()
        answer = json.loads(payload.decode('utf-8')) if payload else {'error': 'the worker died'}
        if 'error' in answer:
            raise LogScanError('a worker reading a part of the log failed: %s' % answer['error'])
        return answer['tally']

    def kill(self):
        """Stop the worker if it still runs (after ``collect`` there is nothing to stop)."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        self._reap()

    def _reap(self):
        self.reader.close()
        # Once reaped, the pid may belong to another process: forget it.
        pid, self.pid = self.pid, None
        os.waitpid(pid, 0)


def _worker_main(file_scan, start, end, write_fd):  # pragma: no cover - child process
    """Search a part in the child and answer through WRITE_FD; never returns to the caller."""
    status = 1
    try:
        parent = file_scan.search
        tally = _Tally(file_scan.options.levels, parent.tally.room(), offsets_only=True)
        search = BufferSearch(bytearray(_buffer_size(file_scan.options)), file_scan.options, tally)
        search.start_file(file_scan.source, file_scan.stamped)
        child = _FileScan(file_scan.source, file_scan.options, search)
        child.stamped = file_scan.stamped
        with io.FileIO(_same_file(file_scan), 'r') as raw:
            child._scan_plain(raw, start, end)
        answer = {'tally': tally.to_dict()}
        status = 0
    except BaseException as exc:  # pylint: disable=broad-except
        # Whatever happens, the child must not go back into the caller's code.
        answer = {'error': '%s: %s' % (type(exc).__name__, exc)}
    try:
        data = json.dumps(answer).encode('utf-8')
        while data:
            data = data[os.write(write_fd, data):]
    finally:
        os._exit(status)


def _same_file(file_scan):
    """The file the parent has open, not whatever its path names now: a log rotated (renamed and
    replaced) while it is read must still be read whole.  A fresh open of /proc/self/fd/N gets the
    same file with an offset of its own; without /proc, the path."""
    inherited = '/proc/self/fd/%d' % file_scan.fd if file_scan.fd is not None else None
    return inherited if inherited and os.path.exists(inherited) else file_scan.source.path


def _gzip_mtime(header):
    """MTIME from a gzip header: when the original file was last written, if the writer kept it."""
    if len(header) < 8:
        return None
    return struct.unpack('<I', header[4:8])[0] or None


def _next_line_start(fd, position, limit=None):
    """Offset just after the first newline at or after POSITION, or None at end of file (or when
    none comes before LIMIT: a bisection step must not read a file without newlines to its end)."""
    while limit is None or position < limit:
        block = os.pread(fd, _BISECT_BLOCK, position)
        if not block:
            return None
        newline = block.find(_NL)
        if newline >= 0:
            return position + newline + 1
        position += len(block)
    return None
