#!/usr/bin/env python3
"""`make bench`: every benchmark of issue 7, one table of ratios with each target and whether it is met.

A full run writes the table to bench/results/latest.md and every sample to latest.json; a partial
one (--only) writes them under .build/bench/ instead, so the committed table stays a full run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_archives  # noqa: E402
import bench_fleet_report  # noqa: E402
import bench_loggrep  # noqa: E402
import bench_sweep  # noqa: E402
from measure import BUILD, REPO  # noqa: E402

RESULTS = REPO / 'bench' / 'results'
WORK = BUILD / 'bench'


def main(argv=None):
    args = _arguments(argv)
    # A stop from outside must still run the cleanups (fleet down, lab lock, the 4 GiB log).
    signal.signal(signal.SIGTERM, _raise_interrupt)
    started = time.time()
    header = _machine()
    rows, raw = [], {'machine': header, 'arguments': vars(args)}
    if args.only in (None, 'loggrep'):
        found, raw['log_grep'] = bench_loggrep.run(WORK, runs=args.runs, slow_runs=args.slow_runs,
                                                   with_4g=not args.no_4g, log=_log)
        rows += found
    if args.only in (None, 'archives'):
        found, raw['archives'] = bench_archives.run(WORK, runs=args.runs, archive_mib=args.archive_mib, log=_log)
        rows += found
    if args.only in (None, 'sweep'):
        found, raw['sweep'] = bench_sweep.run(runs=args.sweep_runs, hosts=args.hosts, rtt_ms=args.rtt_ms, log=_log)
        rows += found
    if args.only in (None, 'fleet_report'):
        found, raw['fleet_report'] = bench_fleet_report.run(WORK, runs=args.fleet_report_runs, log=_log)
        rows += found
    raw['seconds'] = time.time() - started
    raw['rows'] = [row.as_dict() for row in rows]
    text = render(rows, raw, args)
    print()
    print(text)
    out = RESULTS if args.only is None else WORK
    out.mkdir(parents=True, exist_ok=True)
    name = 'latest' if args.only is None else 'partial'
    (out / (name + '.md')).write_text(text)
    (out / (name + '.json')).write_text(json.dumps(raw, indent=1, default=str) + '\n')
    print('written: %s and %s' % (out / (name + '.md'), out / (name + '.json')))
    unmet = [row for row in rows if row.met is False]
    return 1 if args.strict and unmet else 0


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', choices=('loggrep', 'archives', 'sweep', 'fleet_report'),
                        help='run one benchmark (results go to .build/bench)')
    parser.add_argument('--runs', type=int, default=5, help='rounds of the fast log_grep measurements (default 5)')
    parser.add_argument('--slow-runs', type=int, default=3,
                        help='rounds of the slow ones: the Python line loop, memory (default 3)')
    parser.add_argument('--sweep-runs', type=int, default=3, help='rounds of the sweep (default 3)')
    parser.add_argument('--fleet-report-runs', type=int, default=2,
                        help='rounds of fleet_report.yml over 1,000 and 5,000 cached records (default 2)')
    parser.add_argument('--hosts', type=int, default=50, help='hosts of the lab fleet (default 50)')
    parser.add_argument('--archive-mib', type=int, default=bench_archives.ARCHIVE_MIB,
                        help='size of each daily archive, uncompressed (default %(default)s)')
    parser.add_argument('--rtt-ms', type=int, default=50,
                        help='round trip added by a delaying relay for the sweep\'s second set of rows (0: none; '
                             'default %(default)s)')
    parser.add_argument('--no-4g', action='store_true', help='skip the 4 GiB memory check')
    parser.add_argument('--strict', action='store_true', help='exit 1 when a target is not met')
    return parser.parse_args(argv)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt('stopped by signal %d' % signum)


def _log(text):
    print(text, flush=True)


def _machine():
    versions = {}
    for package in ('ansible-core', 'mitogen'):
        try:
            from importlib.metadata import version
            versions[package] = version(package)
        except Exception:  # not installed: say so in the table
            versions[package] = 'not installed'
    return {'when': datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), 'cpus': os.cpu_count(),
            'load_at_start': os.getloadavg()[0], 'python': platform.python_version(), **versions}


def render(rows, raw, args):
    """The table as Markdown (readable as it is in a terminal), notes numbered below it."""
    machine = raw['machine']
    lines = ['# make bench: billmgr.ops performance (issues 7, 17, 19, 21)', '',
             'Run %s on %d CPUs (load average %.1f at start, %.1f at the end; other work shares the '
             'machine), Python %s, ansible-core %s, mitogen %s; %.0f s in all.'
             % (machine['when'], machine['cpus'], machine['load_at_start'], os.getloadavg()[0], machine['python'],
                machine['ansible-core'], machine['mitogen'], raw['seconds']),
             'Each ratio compares medians of runs taken side by side in the same rounds (log_grep: %d rounds, '
             '%d for the slow ones; sweep: %d rounds). Page cache warm.' % (args.runs, args.slow_runs, args.sweep_runs)]
    sweep = raw.get('sweep') or {}
    if sweep.get('settings'):
        settings = sweep['settings']
        lines.append('Sweep: %d lab hosts (light mode, scenario %s) over SSH on loopback; settings in force: %s.'
                     % (sweep['hosts'], sweep['scenario'], ', '.join('%s %s' % item for item in settings.items())))
    lines += ['', '| | Benchmark | Measured | Against | Ratio | Target | Met |', '|---|---|---|---|---|---|---|']
    notes = []
    for row in rows:
        label = row.measure
        if row.note:
            notes.append(row.note)
            label += ' [%d]' % len(notes)
        lines.append('| %s | %s | %s | %s | %s | %s | %s |' % (
            row.group, label, row.measured, row.against, '%.2f×' % row.ratio if row.ratio is not None else '',
            row.target, {True: 'yes', False: '**NO**', None: ''}[row.met]))
    judged = [row for row in rows if row.met is not None]
    lines += ['', 'Targets met: %d of %d.' % (sum(1 for row in judged if row.met), len(judged))]
    if notes:
        lines += [''] + ['%d. %s' % (number, note) for number, note in enumerate(notes, 1)]
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:
        sys.stderr.write('bench: %s; cleaned up\n' % (exc or 'interrupted'))
        sys.exit(130)
