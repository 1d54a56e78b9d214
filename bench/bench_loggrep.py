"""log_grep against grep on a seeded platform log: speed, memory, the since window, and the count.

The parent generates the logs (tests/lab's loggen, seeded) and times what it compares in the same
rounds, page cache warm. Python measurements run in child processes of this same file
(``bench_loggrep.py child KIND ...``) so that each one starts as fresh as the module does and its
peak memory is its own: the child adds its own peak RSS to that of the workers it forked (the
largest one times how many ran at once), an upper bound of the process tree's peak.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import (  # noqa: E402
    BUILD,
    REPO,
    VENV_BIN,
    Row,
    ansible_env,
    at_most_ratio,
    limit_row,
    median,
    seconds_of,
    side_by_side,
    timed_run,
)

GIB = 1 << 30
MIB = 1 << 20
SEED = 1
ERROR_RATIO = 0.005
# What grep must count to count records: the whole header up to the level, anchored at the line start.
HEADER_ERROR_RE = r'^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} \[[0-9]+(:[0-9]+)?\] [^ ]+ ERROR '
GREP_F = ['grep', '-cF', ' ERROR ']
# The reader a speed-minded user picks: the exact header-anchored count, reading as scan() does.
RG_COUNT = ['rg', '--no-mmap', '-c', HEADER_ERROR_RE]
C_LOCALE = {'LC_ALL': 'C'}
RSS_LIMIT_MIB = 64
SINCE_LIMIT_S = 0.050
FULL_SCAN_LIMIT = 1.0
RG_LIMIT = 1.5
# log_grep's default slack before a window's start (logscan.DISORDER_SECONDS).
DISORDER_SECONDS = 300
# Room left on the disk beside a generated log, for everyone else.
DISK_MARGIN = 2 * GIB
MODULE = 'ansible_collections.billmgr.ops.plugins.modules.log_grep'
_LAST_STAMP_RE = re.compile(rb'^([A-Z][a-z]{2}) ([ 0-9][0-9]) ([0-9:]{8}) \[', re.M)
GROUP = 'log_grep'


# ---------------------------------------------------------------- the parent
def run(work, runs=5, slow_runs=3, with_4g=True, log=print):
    """Rows of the log_grep table, and the raw samples, for logs generated under WORK."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    rows, raw = [], {}
    small = _Log(work / 'mgr1g', GIB)
    if not small.fits():
        return [_skipped('1 GiB log', small)], raw
    try:
        log('log_grep: writing a seeded 1 GiB log (seed %d, %.1f %% ERROR records)' % (SEED, ERROR_RATIO * 100))
        small.generate()
        rows += _one_gib(small, runs, slow_runs, raw, log)
    finally:
        small.remove()
    if with_4g:
        big = _Log(work / 'mgr4g', 4 * GIB)
        if not big.fits():
            rows.append(_skipped('4 GiB log', big))
        else:
            try:
                log('log_grep: writing a seeded 4 GiB log for the memory check')
                big.generate()
                rows += _four_gib(big, raw, log)
            finally:
                big.remove()
    else:
        rows.append(Row(GROUP, 'peak memory, 4 GiB log', 'skipped', note='--no-4g given'))
    return rows, raw


class _Log:
    """A generated billmgr.log in a mgr root of its own (<root>/var/billmgr.log)."""

    def __init__(self, root, size):
        self.root = root
        self.path = root / 'var' / 'billmgr.log'
        self.size = size
        self.truth = None

    def fits(self):
        self.root.mkdir(parents=True, exist_ok=True)
        self.free = shutil.disk_usage(self.root).free
        return self.free >= self.size + DISK_MARGIN

    def generate(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # In a process of its own, so that this one stays small. Ending now, so that the file's
        # mtime (the year anchor) and its last record agree.
        _, proc = timed_run([sys.executable, str(REPO / 'tests' / 'lab' / 'billmgr_lab' / 'loggen'), 'big',
                             '--size', str(self.size), '--seed', str(SEED), '--error-ratio', str(ERROR_RATIO),
                             '--now', datetime.now().replace(microsecond=0).isoformat(), '--out', str(self.path)])
        if proc.returncode != 0:
            raise RuntimeError('loggen failed: %s' % proc.stderr[-2000:])
        self.truth = json.loads(proc.stdout)
        # Warm the page cache: every measurement reads from memory, as grep's does.
        _grep_count(GREP_F, self.path, C_LOCALE)

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


def _skipped(what, generated):
    return Row(GROUP, what, 'skipped', note='only %.1f GiB free under %s; needs %.1f GiB'
               % (generated.free / GIB, generated.root.parent, (generated.size + DISK_MARGIN) / GIB))


def _one_gib(small, runs, slow_runs, raw, log):
    path = small.path
    since = (_last_record_time(path) - timedelta(hours=1)).isoformat()
    window = _window_copy(path, _child('scan', str(path), since)['scanned_bytes'], small.root / 'window.log')
    ansible_dir = Path(tempfile.mkdtemp(prefix='bench-ansible-'))
    try:
        variants = [
            ('grep -cF on the since window', runs, lambda: _timed_grep(GREP_F, window, C_LOCALE)),
            ('grep -cF', runs, lambda: _timed_grep(GREP_F, path, C_LOCALE)),
            ('rg -c', runs if shutil.which('rg') else 0, lambda: _counted(RG_COUNT, path)),
            ('grep -c ERROR', runs, lambda: _timed_grep(['grep', '-c', 'ERROR'], path, None)),
            ('scan()', runs, lambda: _child('scan', str(path))),
            ('scan() since 1h', runs, lambda: _child('scan', str(path), since)),
            ('module via ansible', runs, lambda: _ansible_module(small.root, ansible_dir)),
            ('ansible localhost ping', runs, lambda: _ansible_ping(ansible_dir)),
            ('scan() memory', slow_runs, lambda: _child('scan', str(path), watch_memory=True)),
            ('module process', slow_runs, lambda: _child('module', str(small.root), watch_memory=True)),
            ('python line loop', slow_runs, lambda: _child('lines', str(path))),
        ]
        log('log_grep: %d rounds side by side on 1 GiB' % runs)
        samples = side_by_side(variants, log)
    finally:
        shutil.rmtree(ansible_dir, ignore_errors=True)
    header_seconds, header_count = _timed_grep(['grep', '-cE', HEADER_ERROR_RE], path, C_LOCALE, with_count=True)
    raw['1GiB'] = {'truth': small.truth, 'since': since, 'samples': samples,
                   'grep_header': {'seconds': header_seconds, 'count': header_count}}
    m = dict((name, median(seconds_of(values))) for name, values in samples.items())
    grep_f = m['grep -cF']
    grep_name = "`LC_ALL=C grep -cF ' ERROR '`"
    scans = samples['scan()']
    windowed = samples['scan() since 1h']
    window_bytes = median([sample['scanned_bytes'] for sample in windowed])
    rows = [
        at_most_ratio(GROUP, 'full scan 1 GiB: `scan()` (module_utils entry point)', m['scan()'], grep_name,
                      grep_f, FULL_SCAN_LIMIT,
                      note='%d worker(s) forked; %.2f GB/s' % (scans[0]['forks'], GIB / m['scan()'] / 1e9)),
        _rg_row(m, samples['rg -c'], scans),
        at_most_ratio(GROUP, 'full scan 1 GiB: `ansible localhost -m billmgr.ops.log_grep`', m['module via ansible'],
                      grep_name, grep_f, None,
                      note='whole ansible process, nothing subtracted; `ansible localhost -m ping` alone takes %s'
                           % _seconds(m['ansible localhost ping'])),
        at_most_ratio(GROUP, 'full scan 1 GiB: `grep -c ERROR` (locale %s)' % os.environ.get('LANG', 'unset'),
                      m['grep -c ERROR'], grep_name, grep_f, None),
        at_most_ratio(GROUP, 'full scan 1 GiB: plain Python line loop (`b\' ERROR \' in line`)',
                      m['python line loop'], grep_name, grep_f, None),
        limit_row(GROUP, '`since: 1h` on the 1 GiB log, `scan()` in process', m['scan() since 1h'], SINCE_LIMIT_S, 's',
                  against_name='grep -cF on the same %.1f MiB' % (window_bytes / MIB),
                  against=m['grep -cF on the since window'],
                  note='since = the last record - 1 h; log_grep bisects to it less %d s of disorder '
                       'slack, then reads %.1f MiB to the end: this log holds %.0f MiB an hour'
                       % (DISORDER_SECONDS, window_bytes / MIB, GIB / MIB / _span_hours(path))),
        _rss_row('peak memory, 1 GiB: `scan()` process tree', samples['scan() memory']),
        _rss_row('peak memory, 1 GiB: module process tree (AnsibleModule + scan)', samples['module process']),
        _count_row('1 GiB', small.truth, header_count, _grep_count(GREP_F, path, C_LOCALE),
                   dict({'scan()': _one_count(scans), 'module via ansible': _one_count(samples['module via ansible']),
                         'module process': _one_count(samples['module process'])},
                        **({'rg -c': _one_count(samples['rg -c'])} if samples['rg -c'] else {}))),
    ]
    return rows


def _rg_row(m, rg_samples, scans):
    """scan() against ripgrep's exact count of the same records (skipped without rg installed)."""
    measure = 'full scan 1 GiB: `scan()` against ripgrep'
    if not rg_samples:
        return Row(GROUP, measure, 'skipped', note='rg is not installed (Debian package ripgrep)')
    counts = sorted(set(sample['count'] for sample in rg_samples))
    return at_most_ratio(GROUP, measure, m['scan()'], '`rg --no-mmap -c` header regex', m['rg -c'], RG_LIMIT,
                         note='rg counts %s records with the full header regex (`%s`), scan() %s'
                              % (' / '.join(format(count, ',') for count in counts), HEADER_ERROR_RE,
                                 format(_one_count(scans), ',') if isinstance(_one_count(scans), int)
                                 else _one_count(scans)))


def _four_gib(big, raw, log):
    path = big.path
    log('log_grep: 2 rounds on 4 GiB')
    samples = side_by_side([
        ('grep -cF 4 GiB', 2, lambda: _timed_grep(GREP_F, path, C_LOCALE)),
        ('scan() 4 GiB', 2, lambda: _child('scan', str(path))),
        ('scan() memory 4 GiB', 1, lambda: _child('scan', str(path), watch_memory=True)),
        ('module process 4 GiB', 1, lambda: _child('module', str(big.root), watch_memory=True)),
    ], log)
    raw['4GiB'] = {'truth': big.truth, 'samples': samples}
    scans = samples['scan() 4 GiB']
    grep_f = median(samples['grep -cF 4 GiB'])
    return [
        _rss_row('peak memory, 4 GiB: `scan()` process tree', samples['scan() memory 4 GiB']),
        _rss_row('peak memory, 4 GiB: module process tree (AnsibleModule + scan)', samples['module process 4 GiB']),
        at_most_ratio(GROUP, 'full scan 4 GiB: `scan()`', median(seconds_of(scans)),
                      "`LC_ALL=C grep -cF ' ERROR '`", grep_f, None),
        _count_row('4 GiB', big.truth, None, None,
                   {'scan()': _one_count(scans), 'module process': _one_count(samples['module process 4 GiB'])}),
    ]


def _rss_row(measure, samples):
    """The tree's peak with shared pages counted once (PSS), the plain RSS sum beside it."""
    worst = max(samples, key=lambda sample: sample['tree_pss_kib'])
    return limit_row(GROUP, measure, worst['tree_pss_kib'] / 1024, RSS_LIMIT_MIB, 'MiB',
                     note='sum of PSS over %d processes (parent + workers), sampled every 5 ms; their RSS '
                          'summed: %.1f MiB (pages shared after fork counted in each); largest process %.1f MiB'
                          % (worst['tree_processes'], worst['tree_rss_sum_kib'] / 1024,
                             worst['largest_rss_kib'] / 1024),
                     data=dict((key, worst[key]) for key in ('tree_pss_kib', 'tree_rss_sum_kib', 'largest_rss_kib',
                                                              'self_rss_kib', 'child_rss_kib', 'forks')))


def _count_row(size, truth, header_count, substring_count, counts):
    expected = truth['error_records']
    values = dict(counts)
    if header_count is not None:
        values['header-anchored grep -cE'] = header_count
    met = all(value == expected for value in values.values())
    shown = ', '.join('%s %s' % (name, format(value, ',')) for name, value in values.items())
    against = 'generated: %s ERROR records' % format(expected, ',')
    if substring_count is not None:
        against += "; grep -cF ' ERROR ' counts %s lines" % format(substring_count, ',')
    return Row(GROUP, 'ERROR count, %s log' % size, shown, against, None, 'all equal', met,
               data={'expected': expected, 'counts': values, 'substring_lines': substring_count})


def _one_count(samples):
    """The count every run gave, or all of them when runs disagree (which fails the row)."""
    counts = [sample['count'] for sample in samples]
    return counts[0] if len(set(counts)) == 1 else counts


def _window_copy(path, size, copy):
    """The last SIZE bytes of PATH in COPY: what a windowed scan reads, for grep to read too."""
    with open(path, 'rb') as source, open(copy, 'wb') as target:
        source.seek(-size, os.SEEK_END)
        shutil.copyfileobj(source, target, 8 * MIB)
    return copy


def _span_hours(path):
    with open(path, 'rb') as handle:
        head = handle.read(MIB)
    first = _parse_stamp(_LAST_STAMP_RE.findall(head)[0], path)
    return max((_last_record_time(path) - first).total_seconds() / 3600, 1e-9)


def _seconds(value):
    return '%.2f s' % value


def _grep_count(argv, path, extra_env, with_count=False):
    env = dict(os.environ)
    env.update(extra_env or {})
    seconds, proc = timed_run(argv + [str(path)], env=env)
    if proc.returncode not in (0, 1):
        raise RuntimeError('%s failed: %s' % (' '.join(argv), proc.stderr.strip()))
    count = int(proc.stdout.strip() or 0)
    return (seconds, count) if with_count else count


def _counted(argv, path):
    """{'seconds', 'count'} of a counting reader (grep, rg) in the C locale."""
    seconds, count = _grep_count(argv, path, C_LOCALE, with_count=True)
    return {'seconds': seconds, 'count': count}


def _timed_grep(argv, path, extra_env, with_count=False):
    seconds, count = _grep_count(argv, path, extra_env, with_count=True)
    return (seconds, count) if with_count else seconds


def _child(kind, *args, watch_memory=False):
    """A child of this file measuring KIND; its report, with the child's own wall time added.

    WATCH_MEMORY: sample the memory of the child's process tree while it runs (see TreeMemory).
    """
    with tempfile.NamedTemporaryFile(prefix='bench-child-', suffix='.json') as out:
        argv = [sys.executable, __file__, 'child', kind, out.name] + list(args)
        env = dict(os.environ)
        env['PYTHONPATH'] = str(BUILD)
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        watcher = TreeMemory(proc.pid) if watch_memory else None
        stdout, stderr = proc.communicate()
        wall = time.perf_counter() - start
        if watcher:
            watcher.stop()
        if proc.returncode != 0:
            raise RuntimeError('bench child %s failed (%d): %s' % (kind, proc.returncode, stderr[-2000:]))
        report = json.loads(Path(out.name).read_text())
    report['process_seconds'] = wall
    if watcher:
        report.update(watcher.peaks())
    if kind == 'module':
        result = json.loads(stdout)
        report['count'] = result['counts']['by_level']['ERROR']
        report['scanned_bytes'] = result['scanned_bytes']
    return report


def _ansible_module(mgr_root, tree):
    """`ansible localhost -m billmgr.ops.log_grep` with the module's defaults, as a user types it."""
    argv = [str(VENV_BIN / 'ansible'), 'localhost', '-m', 'billmgr.ops.log_grep',
            '-a', json.dumps({'mgr_root': str(mgr_root)}), '--tree', str(tree)]
    seconds, proc = timed_run(argv, env=ansible_env())
    result_file = tree / 'localhost'
    if proc.returncode != 0 or not result_file.exists():
        raise RuntimeError('ansible -m log_grep failed (%d): %s%s' % (proc.returncode, proc.stdout[-2000:],
                                                                      proc.stderr[-2000:]))
    result = json.loads(result_file.read_text())
    result_file.unlink()
    return {'seconds': seconds, 'count': result['counts']['by_level']['ERROR']}


def _ansible_ping(tree):
    seconds, proc = timed_run([str(VENV_BIN / 'ansible'), 'localhost', '-m', 'ansible.builtin.ping'],
                              env=ansible_env())
    if proc.returncode != 0:
        raise RuntimeError('ansible localhost -m ping failed: %s' % proc.stdout[-2000:])
    return seconds


class TreeMemory:
    """Peak memory of a process and its descendants, sampled from /proc every few milliseconds.

    Two sums: RSS (pages a worker shares with its parent after fork count once per process, as
    RSS always counts them) and PSS (each shared page split between its sharers: what the tree
    holds). The buffers of a scan live for its whole run, so sampling sees their peak.
    """

    INTERVAL = 0.005

    def __init__(self, pid):
        self.pid = pid
        self.rss = self.pss = self.single = 0
        self.processes = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        while not self._done.is_set():
            rss = pss = single = 0
            pids = _tree(self.pid)
            for pid in pids:
                sizes = _smaps_rollup(pid)
                rss += sizes.get('Rss', 0)
                pss += sizes.get('Pss', 0)
                single = max(single, sizes.get('Rss', 0))
            self.rss, self.pss, self.single = max(self.rss, rss), max(self.pss, pss), max(self.single, single)
            self.processes = max(self.processes, len(pids))
            self._done.wait(self.INTERVAL)

    def stop(self):
        self._done.set()
        self._thread.join()

    def peaks(self):
        return {'tree_rss_sum_kib': self.rss, 'tree_pss_kib': self.pss, 'largest_rss_kib': self.single,
                'tree_processes': self.processes}


def _tree(pid):
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            with open('/proc/%d/task/%d/children' % (current, current)) as children:
                todo.extend(int(child) for child in children.read().split())
        except OSError:
            pass
    return found


def _smaps_rollup(pid):
    sizes = {}
    try:
        with open('/proc/%d/smaps_rollup' % pid) as rollup:
            for line in rollup:
                key, _, rest = line.partition(':')
                if key in ('Rss', 'Pss'):
                    sizes[key] = int(rest.split()[0])
    except (OSError, ValueError):
        pass
    return sizes


def _last_record_time(path):
    """Time of the last header line, the year taken from the file's mtime as log_grep does."""
    size = path.stat().st_size
    with open(path, 'rb') as handle:
        handle.seek(max(0, size - MIB))
        tail = handle.read()
    return _parse_stamp(_LAST_STAMP_RE.findall(tail)[-1], path)


def _parse_stamp(parts, path):
    month, day, clock = parts
    mtime = datetime.fromtimestamp(path.stat().st_mtime)
    stamp = datetime.strptime('%d %s %s %s' % (mtime.year, month.decode(), day.decode().strip(), clock.decode()),
                              '%Y %b %d %H:%M:%S')
    return stamp if stamp <= mtime + timedelta(days=1) else stamp.replace(year=mtime.year - 1)


# ---------------------------------------------------------------- the children
def _child_main(kind, out, args):
    forks = _count_forks()
    if kind == 'scan':
        report = _child_scan(*args)
    elif kind == 'module':
        report = _child_module(*args)
    elif kind == 'lines':
        report = _child_lines(*args)
    elif kind == 'archives':
        report = _child_archives(*args)
    else:
        raise SystemExit('unknown child kind %r' % kind)
    own = _own_peak_rss_kib()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # Workers of one scan run at once; each is no larger than the largest child.
    report.update(forks=forks[0], self_rss_kib=own, child_rss_kib=children,
                  tree_rss_kib=own + children * forks[0])
    Path(out).write_text(json.dumps(report))


def _own_peak_rss_kib():
    """This process's peak RSS since its exec (VmHWM).

    Not RUSAGE_SELF: its maximum survives exec, and a child spawned by vfork (as subprocess does)
    starts with the peak of the process that spawned it.
    """
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _count_forks():
    counter = [0]
    real_fork = os.fork

    def counting_fork():
        pid = real_fork()
        if pid:
            counter[0] += 1
        return pid
    os.fork = counting_fork
    return counter


def _child_scan(path, since=None):
    from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import scan
    start = time.perf_counter()
    result = scan([path], levels=['ERROR'], since=since)
    seconds = time.perf_counter() - start
    return {'seconds': seconds, 'count': result['counts']['by_level']['ERROR'],
            'scanned_bytes': result['scanned_bytes']}


def _child_module(mgr_root):
    """The module's own main(), in this process, with its default options: what a target runs."""
    import runpy
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as args:
        json.dump({'ANSIBLE_MODULE_ARGS': {'mgr_root': mgr_root}}, args)
    sys.argv = [MODULE, args.name]
    start = time.perf_counter()
    try:
        runpy.run_module(MODULE, run_name='__main__', alter_sys=True)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    finally:
        os.unlink(args.name)
    sys.stdout.flush()
    return {'seconds': time.perf_counter() - start}


def _child_archives(mgr_root, since, until=None, full=None):
    """scan() of billmgr.log and its archives in MGR_ROOT over [SINCE, UNTIL], as log_grep finds
    them; FULL ('full'): with nothing skipped ahead, every archive read. Says which archives were
    decompressed beyond their first record and how much of the live log was read."""
    import io
    from ansible_collections.billmgr.ops.plugins.module_utils._logs import logscan
    from ansible_collections.billmgr.ops.plugins.module_utils._logs.logsources import find_sources
    from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import MgrLayout
    if until == 'full':
        until, full = None, 'full'
    if full:
        logscan.outside_window = lambda spans, since_key=None, until_key=None: set()
    decompressed, live = [], [0]
    real_run = logscan._ChunkLoop.run

    def run(loop):
        before = loop.search.tally.scanned_bytes
        try:
            return real_run(loop)
        finally:
            if isinstance(loop.stream, io.FileIO):
                live[0] += loop.search.tally.scanned_bytes - before
            else:
                decompressed.append(os.path.basename(loop.search.source.path))
    logscan._ChunkLoop.run = run
    start = time.perf_counter()
    sources, _ = find_sources(MgrLayout(mgr_root), ['billmgr'], rotated=True)
    result = logscan.scan(sources, levels=['ERROR'], since=since, until=until)
    seconds = time.perf_counter() - start
    # Named by the file's name alone, as `decompressed` is: the results are committed, and every
    # file of one log has its own name.
    records = [(os.path.basename(match['file']), match['offset']) for match in result['matches']]
    return {'seconds': seconds, 'count': result['counts']['by_level']['ERROR'], 'decompressed': decompressed,
            'live_bytes': live[0], 'scanned_bytes': result['scanned_bytes'],
            'records': [records, result['counts']]}


def _child_lines(path):
    start = time.perf_counter()
    count = 0
    with open(path, 'rb') as handle:
        for line in handle:
            if b' ERROR ' in line:
                count += 1
    return {'seconds': time.perf_counter() - start, 'count': count}


if __name__ == '__main__':
    if len(sys.argv) >= 4 and sys.argv[1] == 'child':
        _child_main(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit('run bench/run.py; this file is a part of it')
