"""The report-only step of a sliced sweep: fleet_report.yml over 1,000 and 5,000 cached records.

The records are the lab's own: one health.yml sweep of the bench fleet with a jsonfile fact
cache (holding the lab lock only for that), then each record copied under new host names until
the cache holds the fleet's size. fleet_report.yml touches no host, so the timed runs need no lab:
what they measure is the controller reading the cache, assembling and writing the reports.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sweep import SCENARIO, _LabLock  # noqa: E402
from measure import REPO, VENV_BIN, Row, ansible_env, median, timed_run  # noqa: E402

sys.path.insert(0, str(REPO / 'tests' / 'lab'))
from billmgr_lab import fleet as lab_fleet  # noqa: E402

GROUP = 'fleet report'
HEALTH = REPO / 'playbooks' / 'health.yml'
FLEET_REPORT = REPO / 'playbooks' / 'fleet_report.yml'
SIZES = (1000, 5000)


def cache_env(cache):
    return ansible_env({'ANSIBLE_CACHE_PLUGIN': 'jsonfile', 'ANSIBLE_CACHE_PLUGIN_CONNECTION': str(cache),
                        'ANSIBLE_CACHE_PLUGIN_TIMEOUT': '0'})


def run(work, runs=1, sizes=SIZES, log=print):
    """Rows of the fleet report and the raw samples."""
    work = Path(work) / 'fleet_report'
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        source = work / 'lab-cache'
        raw = {'source_hosts': _lab_records(source, log), 'samples': {}}
        for size in sizes:
            cache, inventory = _synthesised(source, work, size)
            samples = []
            for number in range(runs):
                sample = _fleet_report(cache, inventory, work / ('reports-%d' % size), size)
                log('  round %d  fleet_report.yml over %d records %8.3f s' % (number + 1, size, sample['seconds']))
                samples.append(sample)
            raw['samples'][size] = samples
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _rows(raw), raw


def _lab_records(cache, log):
    """Sweep the bench fleet once into CACHE; the number of hosts swept."""
    with _LabLock(log):
        fleet = lab_fleet.Fleet(REPO / '.lab')
        try:
            log('fleet report: sweeping the bench fleet once for its records')
            fleet.up(scenario_path=str(SCENARIO), light=True, lock_held=True)
            argv = [str(VENV_BIN / 'ansible-playbook'), '-i', str(fleet.inventory_file), str(HEALTH), '-e',
                    json.dumps({'billmgr_report_dir': str(cache.parent / 'lab-reports'),
                                'billmgr_health_fail_on': 'never'})]
            _, proc = timed_run(argv, env=cache_env(cache))
            if proc.returncode != 0:
                raise RuntimeError('health.yml failed on the bench fleet: %s' % proc.stdout[-3000:])
        finally:
            fleet.down(quiet=True)
    return len(list(cache.iterdir()))


def _synthesised(source, work, size):
    cache, inventory = work / ('cache-%d' % size), work / ('inventory-%d.json' % size)
    proc = subprocess.run([sys.executable, '-m', 'billmgr_lab.factcache', 'fleet', str(source), str(cache), str(size)],
                          capture_output=True, text=True, check=True, timeout=1800,
                          env=ansible_env({'PYTHONPATH': '%s:%s' % (REPO / '.build', REPO / 'tests' / 'lab')}))
    names = json.loads(proc.stdout)
    inventory.write_text(json.dumps({'billmgr': {'hosts': dict((name, {}) for name in names)}}))
    return cache, inventory


def _fleet_report(cache, inventory, report_dir, size):
    shutil.rmtree(report_dir, ignore_errors=True)
    argv = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(FLEET_REPORT), '-e',
            json.dumps({'billmgr_report_dir': str(report_dir), 'billmgr_health_fail_on': 'never',
                        'billmgr_fleet_max_age': '1d'})]
    seconds, proc = timed_run(argv, env=cache_env(cache))
    report_file = report_dir / 'latest' / 'report.json'
    if proc.returncode != 0 or not report_file.exists():
        raise RuntimeError('fleet_report.yml over %d records failed: %s' % (size, proc.stdout[-3000:]))
    report = json.loads(report_file.read_text())
    not_swept = sum(1 for host in report['hosts'] for f in host['findings'] if f['id'] == 'not_swept')
    if len(report['hosts']) != size or not_swept:
        raise RuntimeError('fleet_report.yml over %d records reported %d hosts, %d not swept'
                           % (size, len(report['hosts']), not_swept))
    return {'seconds': seconds, 'cpu': proc.cpu_seconds, 'report_bytes': report_file.stat().st_size}


def _rows(raw):
    rows = []
    for size, samples in raw['samples'].items():
        seconds = median([sample['seconds'] for sample in samples])
        cpu = median([sample['cpu'] for sample in samples])
        rows.append(Row(GROUP, 'fleet_report.yml over %d cached records' % size, '%.1f s' % seconds,
                        note='%.1f s and %.1f core-s per 1,000 hosts; records copied from %d lab hosts swept '
                             'with a jsonfile fact cache; report.json %.1f MiB'
                             % (seconds * 1000 / size, cpu * 1000 / size, raw['source_hosts'],
                                samples[0]['report_bytes'] / 1048576),
                        data={'seconds': seconds, 'cpu_seconds': cpu, 'hosts': size}))
    return rows


if __name__ == '__main__':
    started = time.time()
    found, samples = run(REPO / '.build' / 'bench', sizes=tuple(int(n) for n in sys.argv[1:]) or SIZES)
    for row in found:
        print(row.measure, row.measured, row.note)
    print('%.0f s' % (time.time() - started))
