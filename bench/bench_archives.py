"""log_grep over a month of rotated gzip archives: a window decompresses only what can overlap it.

The parent writes 30 daily archives (``billmgr.log-YYYYMMDD.gz``, rotated at midnight, mtime and
gzip header at the rotation) and a live log since the last midnight, from tests/lab's seeded
generator, straight to gzip so that the uncompressed month never sits on disk. Each window is
timed in a fresh process (``bench_loggrep.py child scan``) against decompressing just the archives
that overlap it, and the window's part of the live log, piped into ``grep -c``; beside it, the
same scan without looking ahead (every archive decompressed unless its own mtime ends it before
the window) must find the same records.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_loggrep  # noqa: E402
from measure import REPO, Row, at_most_ratio, median, seconds_of, side_by_side  # noqa: E402

sys.path.insert(0, str(REPO / 'tests' / 'lab'))
from billmgr_lab.loggen import big as loggen_big  # noqa: E402

GROUP = 'archives'
MIB = 1 << 20
DAYS = 30
ARCHIVE_MIB = 100
SEED = 1
LIMIT = 1.3
# gzip level 1 writes the bench data fast; reading costs about the same at any level.
LEVEL = 1
SLACK = timedelta(seconds=bench_loggrep.DISORDER_SECONDS)


def run(work, runs=5, archive_mib=ARCHIVE_MIB, log=print):
    """Rows of the archives table and the raw samples, for a rotated log written under WORK."""
    root = Path(work) / 'archives'
    shutil.rmtree(root, ignore_errors=True)
    need = DAYS * archive_mib * MIB // 4 + bench_loggrep.DISK_MARGIN
    root.mkdir(parents=True)
    free = shutil.disk_usage(root).free
    if free < need:
        shutil.rmtree(root, ignore_errors=True)
        return [Row(GROUP, 'rotated archives', 'skipped', note='only %.1f GiB free under %s; needs %.1f GiB'
                    % (free / (1 << 30), root.parent, need / (1 << 30)))], {}
    try:
        log('archives: writing %d daily gzip archives of %d MiB and a live log' % (DAYS, archive_mib))
        month = _Month(root, archive_mib)
        started = time.perf_counter()
        month.write()
        raw = {'write_seconds': time.perf_counter() - started, 'archives': len(month.archives)}
        now = month.now
        week = now - timedelta(days=7)
        windows = [('`since: 24h`', now - timedelta(hours=24), None),
                   ('2-hour window a week back', week - timedelta(hours=1), week + timedelta(hours=1))]
        rows = []
        for name, since, until in windows:
            rows += _window(month, name, since, until, runs, raw, log)
        return rows, raw
    finally:
        shutil.rmtree(root, ignore_errors=True)


class _Month:
    """30 days of a rotated billmgr.log under ROOT (a mgr root: var/billmgr.log, var/logs/)."""

    def __init__(self, root, archive_mib):
        self.root = root
        self.live = root / 'var' / 'billmgr.log'
        self.archive_dir = root / 'var' / 'logs'
        self.day_bytes = archive_mib * MIB
        self.now = datetime.now().replace(microsecond=0)
        self.archives = []  # (path, start, end, uncompressed bytes), oldest first

    def write(self):
        self.archive_dir.mkdir(parents=True)
        rng = random.Random('%d:archives' % SEED)
        pool = loggen_big.build_pool(rng, 0.005)
        split = loggen_big._split(pool, rng.randint(2100, 380000))
        midnight = self.now.replace(hour=0, minute=0, second=0)
        for day in range(DAYS, 0, -1):
            start, end = midnight - timedelta(days=day), midnight - timedelta(days=day - 1)
            path = self.archive_dir / ('billmgr.log-%s.gz' % end.strftime('%Y%m%d'))
            stamp = time.mktime(end.timetuple())
            with open(path, 'wb') as raw, gzip.GzipFile(fileobj=raw, mode='wb', compresslevel=LEVEL,
                                                        mtime=stamp) as target:
                size = _write_span(target, rng, pool, split, start, end, self.day_bytes)
            os.utime(path, (stamp, stamp))
            self.archives.append((path, start, end, size))
        fraction = max((self.now - midnight).total_seconds() / 86400, 0.01)
        with open(self.live, 'wb') as target:
            _write_span(target, rng, pool, split, midnight, self.now, int(self.day_bytes * fraction))

    def overlapping(self, since, until):
        """The archives whose records can fall in the window (its slack included)."""
        return [item for item in self.archives
                if item[2] >= since - SLACK and (until is None or item[1] <= until + SLACK)]


def _write_span(target, rng, pool, split, start, end, size):
    """About SIZE bytes of records stamped evenly from START to END; the bytes written."""
    step = (end - start) / max(1, size // loggen_big.BLOCK_BYTES)
    moment, written, chunk = start, 0, []
    while written < size and moment < end:
        number = rng.randrange(len(pool))
        now_stamp, late_stamp = loggen_big._stamps(moment)
        data = loggen_big._fill(split[number], now_stamp, late_stamp)
        chunk.append(data)
        written += len(data)
        if len(chunk) >= 256:
            target.write(b''.join(chunk))
            chunk = []
        moment += step
    target.write(b''.join(chunk))
    return written


def _window(month, name, since, until, runs, raw, log):
    args = [str(month.root), since.isoformat()] + ([until.isoformat()] if until else [])
    overlap = month.overlapping(since, until)
    probe = bench_loggrep._child('archives', *args)
    live_bytes = probe['live_bytes']
    baseline = _baseline_command([str(item[0]) for item in overlap], month.live, live_bytes)
    log('archives: %s, %d of %d archives overlap; %d rounds' % (name, len(overlap), len(month.archives), runs))
    samples = side_by_side([
        ('zcat | grep -c', runs, lambda: _timed(baseline)),
        ('scan()', runs, lambda: bench_loggrep._child('archives', *args)),
        ('scan() without looking ahead', 1, lambda: bench_loggrep._child('archives', *args, 'full')),
    ], log)
    raw[name] = {'since': since.isoformat(), 'until': until and until.isoformat(), 'samples': samples,
                 'overlapping': [str(item[0].name) for item in overlap]}
    scans = samples['scan()']
    full = samples['scan() without looking ahead'][0]
    m_scan, m_zcat = median(seconds_of(scans)), median(seconds_of(samples['zcat | grep -c']))
    read = sorted(set(tuple(sample['decompressed']) for sample in scans))
    same = all(sample['records'] == full['records'] for sample in scans)
    return [
        at_most_ratio(GROUP, '%s over %d daily gzip archives + live log: `scan()`' % (name, len(month.archives)),
                      m_scan, '`zcat` of the %d overlapping archive(s) `| grep -cF`' % len(overlap), m_zcat, LIMIT,
                      note='%s: decompressed %s of %d archives (%s), %.1f MiB of the live log; %d ERROR records. '
                           'zcat reads %s' % (name, ' / '.join(str(len(names)) for names in read), len(month.archives),
                                              ', '.join(read[0]) or 'none', live_bytes / MIB, scans[0]['count'],
                                              ', '.join(item[0].name for item in overlap) or 'no archive')),
        Row(GROUP, '%s: records against reading without looking ahead' % name, 'same' if same else 'DIFFERENT',
            'every archive not ended before the window by its own mtime decompressed (%d): %s ERROR records in %.1f s'
            % (len(full['decompressed']), format(full['count'], ','), full['seconds']),
            None, 'the same records', same),
    ]


def _baseline_command(archives, live, live_bytes):
    """zcat of the overlapping archives and the live log's window, into one grep -c."""
    script = '{ if [ $# -gt 1 ]; then zcat "${@:2}"; fi; tail -c "$1" %s; } | LC_ALL=C grep -cF " ERROR "' \
             % _quote(str(live))
    return ['bash', '-c', script, 'baseline', str(live_bytes)] + archives


def _quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def _timed(argv):
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError('%s failed: %s' % (argv[:3], proc.stderr[-2000:]))
    return {'seconds': seconds, 'count': int(proc.stdout.strip() or 0)}
