"""What every benchmark needs: runs taken side by side, medians, and the rows of the result table.

The machine is shared and noisy, so absolute seconds mean little from one run to the next: each
benchmark runs the things it compares in the same rounds (one of each per round), and a row
reports the ratio of their medians.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / '.venv' / 'bin'
BUILD = REPO / '.build'


def median(values):
    return statistics.median(values) if values else None


def timed_run(argv, env=None, cwd=None, timeout=1800):
    """(wall seconds, CompletedProcess) of ARGV with its output captured as text.

    The process gets ``cpu_seconds``: user + system time of it and the descendants it waited for.
    """
    before = _children_cpu()
    start = time.perf_counter()
    # No stdin: Ansible refuses to start on a non-blocking one, which a CI runner may hand down.
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    proc.cpu_seconds = _children_cpu() - before
    return seconds, proc


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def side_by_side(variants, log=print):
    """Run VARIANTS round-robin: round i runs each variant that wants more than i runs.

    VARIANTS: list of (name, runs, function); a function returns one sample (seconds, or a dict
    with 'seconds'). Returns {name: [samples]}; a variant with zero runs gets an empty list.
    """
    samples = dict((name, []) for name, _, _ in variants)
    for number in range(max((runs for _, runs, _ in variants), default=0)):
        for name, runs, function in variants:
            if number < runs:
                sample = function()
                samples[name].append(sample)
                seconds = sample['seconds'] if isinstance(sample, dict) else sample
                log('  round %d  %-34s %s' % (number + 1, name, 'failed' if seconds is None else '%8.3f s' % seconds))
    return samples


def seconds_of(samples):
    """The seconds of each sample (a number, or a dict with 'seconds'); failed runs left out."""
    values = [sample['seconds'] if isinstance(sample, dict) else sample for sample in samples]
    return [value for value in values if value is not None]


def tree_cpu_seconds(roots):
    """CPU seconds of ROOTS and their live descendants, with what each has reaped (Linux /proc).

    A process's cutime/cstime hold its reaped children, which are gone from the tree: each second
    is counted once.
    """
    parents, ticks = {}, {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as stat:
                fields = stat.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        ticks[pid] = sum(int(value) for value in fields[11:15])
    children = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    total, todo, seen = 0, [root for root in roots if root in ticks], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += ticks[pid]
        todo.extend(children.get(pid, ()))
    return total / os.sysconf('SC_CLK_TCK')


def machine_busy_seconds():
    """CPU seconds all cores spent busy since boot (iowait counts as idle), from /proc/stat."""
    with open('/proc/stat') as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf('SC_CLK_TCK')


def ansible_env(extra=None):
    """The environment `make` gives Ansible: this repository's config and collection tree."""
    env = dict(os.environ)
    env.update({
        'ANSIBLE_CONFIG': str(REPO / 'ansible.cfg'),
        'ANSIBLE_COLLECTIONS_PATH': str(BUILD),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_LOCALHOST_WARNING': 'False',
        'ANSIBLE_DEPRECATION_WARNINGS': 'False',
        'PATH': '%s:%s' % (VENV_BIN, env.get('PATH', '')),
    })
    env.update(extra or {})
    return env


def mitogen_strategy_dir():
    """Where ansible_mitogen keeps its strategy plugins, or None when mitogen is not installed."""
    try:
        import ansible_mitogen
    except ImportError:
        return None
    return str(Path(ansible_mitogen.__file__).resolve().parent / 'plugins' / 'strategy')


@dataclass
class Row:
    """One line of the result table.

    RATIO is measured / against for a "at most" target, against / measured for a speed-up
    ("at least N x faster"); MET is None for rows that only inform.
    """
    group: str
    measure: str
    measured: str
    against: str = ''
    ratio: float | None = None
    target: str = ''
    met: bool | None = None
    note: str = ''
    data: dict = field(default_factory=dict)

    def as_dict(self):
        return asdict(self)


def at_most_ratio(group, measure, value, against_name, against, limit, unit='s', note='', data=None):
    """A row for "VALUE at most LIMIT x AGAINST" (both in UNIT)."""
    ratio = value / against if against else None
    return Row(group, measure, fmt(value, unit), '%s %s' % (against_name, fmt(against, unit)), ratio,
               '≤ %s×' % limit if limit is not None else '', None if limit is None or ratio is None
               else ratio <= limit, note, data or {})


def speedup(group, measure, value, against_name, against, least, unit='s', note='', data=None):
    """A row for "VALUE at least LEAST x faster than AGAINST"."""
    ratio = against / value if value else None
    return Row(group, measure, fmt(value, unit), '%s %s' % (against_name, fmt(against, unit)), ratio,
               '≥ %s× faster' % least if least is not None else '', None if least is None or ratio is None
               else ratio >= least, note, data or {})


def limit_row(group, measure, value, limit, unit, note='', data=None, against_name=None, against=None):
    """A row for an absolute limit (memory, a short window's time), beside AGAINST if given."""
    shown, ratio = '', None
    if against_name:
        shown, ratio = '%s %s' % (against_name, fmt(against, unit)), value / against if against else None
    return Row(group, measure, fmt(value, unit), shown, ratio, '≤ %s' % fmt(limit, unit),
               None if value is None else value <= limit, note, data or {})


def fmt(value, unit):
    if value is None:
        return 'n/a'
    if unit == 's':
        return '%.2f s' % value if value >= 0.1 else '%.1f ms' % (value * 1000)
    if unit == 'ms':
        return '%.1f ms' % value
    if unit == 'MiB':
        return '%.1f MiB' % value
    return '%s %s' % (value, unit)
