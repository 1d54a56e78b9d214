"""Realistic BILLmanager platform logs for lab hosts, and huge seeded logs for benchmarks.

    write_logs(var_dir, LogPlan(now=...))      fills a host's var/ and returns what it wrote
    write_big_log(path, size_bytes, seed=1)    one big billmgr.log-like file, with its counts

From a shell: python tests/lab/billmgr_lab/loggen big --size 1G --seed 1 --out FILE
"""

from __future__ import annotations

import argparse
import gzip
import json
from datetime import datetime
from pathlib import Path

from .auxlogs import build_auth, build_ihttpd, build_mgrctl, render_auth
from .big import write_big_log
from .billmaintain import build_billmaintain
from .billmgr import build_billmgr
from .lines import PLATFORM, LineStyle, RenderedLog, epoch_of, render, render_log, set_mtime, write_text
from .modules import build_module, module_style
from .plan import EarlyStop, LogPlan, validate, window_of

__all__ = ['EarlyStop', 'LogPlan', 'write_logs', 'write_big_log', 'parse_size', 'main']

ARCHIVE_DIR = 'logs'
GZIP_LEVEL = 6


def _facts(path: Path, rendered: RenderedLog) -> dict:
    return {
        'path': str(path),
        'bytes': len(rendered.text.encode('utf-8')),
        'lines': rendered.lines,
        'records': rendered.records,
        'error_records': rendered.error_records,
        'first': rendered.first,
        'last': rendered.last,
    }


def _write_gzip(path: Path, text: str, rotated_at: datetime) -> None:
    # The header's name and time are fixed so that one seed gives the same archive bytes.
    with open(path, 'wb') as raw, gzip.GzipFile(filename=path.name, mode='wb', fileobj=raw,
                                                compresslevel=GZIP_LEVEL, mtime=int(epoch_of(rotated_at))) as packed:
        packed.write(text.encode('utf-8'))
    set_mtime(path, rotated_at)


def _module_names(plan: LogPlan) -> list[str]:
    names = []
    for name in plan.payment_modules:
        if not name or '/' in name or name.startswith('.'):
            raise ValueError(f'module name {name!r} cannot be a log file name')
        if name not in names:
            names.append(name)
    return names


def write_logs(var_dir: Path, plan: LogPlan) -> dict:
    """Write every log of one host under var_dir and return what a test needs to check them.

    Summary: 'logs' maps each file name to path, bytes, lines, records, error_records, first and
    last (newest) time; 'archives' lists billmgr.log's archives oldest first with the same facts plus
    name and rotated_at; 'burst' (None without one) gives log, thread ('PID:THREAD'), error (the
    tuple), error_type, message, count, first, last; 'early_stops' gives item, reason, time (of the
    error line), thread and params, oldest first; 'window_start' and 'error_cutoff' the frame used.
    """
    validate(plan)
    window = window_of(plan)
    var_dir = Path(var_dir)
    archive_dir = var_dir / ARCHIVE_DIR
    archive_dir.mkdir(parents=True, exist_ok=True)
    platform_style = LineStyle(color=plan.color)

    billmgr = build_billmgr(plan, window)
    maintain, stops = build_billmaintain(plan, window)
    outputs = [
        ('billmgr.log', billmgr.live, platform_style, render),
        ('billmaintain.log', maintain, platform_style, render),
        ('ihttpd.log', build_ihttpd(plan, window), platform_style, render),
        ('mgrctl.log', build_mgrctl(plan, window), platform_style, render),
        ('billmgr.auth.log', build_auth(plan, window), PLATFORM, render_auth),
    ]
    outputs += [(f'{name}.log', build_module(plan, window, name), module_style(name, plan), render)
                for name in _module_names(plan)]

    summary = {'now': plan.now, 'seed': plan.seed, 'window_start': window.start,
               'error_cutoff': window.error_cutoff, 'logs': {}, 'archives': [],
               'burst': billmgr.burst, 'early_stops': stops}
    for name, records, style, line in outputs:
        rendered = render_log(records, style, line)
        path = var_dir / name
        # With year_boundary the mtime is what a year-inferring reader starts from: make it exact.
        write_text(path, rendered.text, plan.now if plan.year_boundary or rendered.last is None else rendered.last)
        summary['logs'][name] = _facts(path, rendered)
    for part in billmgr.archives:
        rendered = render_log(part.records, platform_style)
        path = archive_dir / part.name
        _write_gzip(path, rendered.text, part.rotated_at)
        summary['archives'].append({'name': part.name, 'rotated_at': part.rotated_at, **_facts(path, rendered)})
    return summary


def parse_size(text: str) -> int:
    """'1G', '4G', '512M', '20M', '64K' (binary units) or plain bytes."""
    units = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}
    text = text.strip().upper().removesuffix('IB').removesuffix('B')
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    big = commands.add_parser('big', help='write one big seeded billmgr.log-like file, print its counts')
    big.add_argument('--size', type=parse_size, required=True, help='e.g. 1G, 4G, 20M')
    big.add_argument('--seed', type=int, default=1)
    big.add_argument('--error-ratio', type=float, default=0.005)
    big.add_argument('--now', type=datetime.fromisoformat, default=None, help='newest time, ISO 8601')
    big.add_argument('--out', type=Path, required=True)
    logs = commands.add_parser('logs', help="fill a host's var/ directory, print the summary")
    logs.add_argument('--var', type=Path, required=True)
    logs.add_argument('--now', type=datetime.fromisoformat, required=True)
    logs.add_argument('--seed', type=int, default=0)
    logs.add_argument('--size', type=parse_size, default=256 * 1024)
    logs.add_argument('--color', action='store_true')
    logs.add_argument('--error-burst', type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.command == 'big':
        result = write_big_log(args.out, args.size, seed=args.seed, error_ratio=args.error_ratio, now=args.now)
    else:
        result = write_logs(args.var, LogPlan(now=args.now, seed=args.seed, size_bytes=args.size,
                                              color=args.color, error_burst=args.error_burst))
    print(json.dumps(result, indent=2, default=str))
    return 0
