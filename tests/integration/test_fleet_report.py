"""Sliced sweeps and the fleet report: what an AWX sliced job followed by fleet_report.yml does.

health.yml runs over four disjoint slices of a twelve-host fleet at the same time, sharing one
jsonfile fact cache (each slice with its own report directory, as each AWX slice has its own
container); fleet_report.yml then reports the fleet from the cache alone. Its report must match
one unsliced sweep of the same fleet in the same state, with the same history behind it. The
history (one earlier sweep) lives only in the fact cache: no report directory is shared.
"""

import json
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, VENV_BIN, ansible_env

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'fleet_report.yml'
HEALTH = REPO / 'playbooks' / 'health.yml'
FLEET_REPORT = REPO / 'playbooks' / 'fleet_report.yml'
HOSTS = ['bm%02d' % number for number in range(1, 13)]
# Disjoint, as AWX cuts an inventory: every fourth host.
SLICES = [HOSTS[start::4] for start in range(4)]
MAINTENANCE = 'etc/billmgr.DoNothing'
DAY = 86400


def cache_env(cache):
    return {'ANSIBLE_CACHE_PLUGIN': 'jsonfile', 'ANSIBLE_CACHE_PLUGIN_CONNECTION': str(cache),
            'ANSIBLE_CACHE_PLUGIN_TIMEOUT': '0'}


def playbook_argv(lab, playbook, extra_vars, limit=None):
    argv = [str(VENV_BIN / 'ansible-playbook'), '-i', lab.inventory, str(playbook), '-e', json.dumps(extra_vars)]
    return argv + (['--limit', limit] if limit else [])


def run(lab, playbook, cache, extra_vars, limit=None):
    return subprocess.run(playbook_argv(lab, playbook, extra_vars, limit), capture_output=True, text=True,
                          env=ansible_env(cache_env(cache)), timeout=1800, stdin=subprocess.DEVNULL)


def sweep_vars(report_dir):
    return {'billmgr_report_dir': str(report_dir), 'billmgr_health_fail_on': 'never'}


def latest(report_dir):
    return json.loads((report_dir / 'latest' / 'report.json').read_text())


def sliced(lab, cache, work, name, report_dirs=None):
    """health.yml over the four slices at once; {slice number: CompletedProcess}."""
    report_dirs = report_dirs or {}
    procs = {}
    for number, hosts in enumerate(SLICES):
        report_dir = report_dirs.get(number, work / ('%s-slice%d' % (name, number)))
        procs[number] = subprocess.Popen(
            playbook_argv(lab, HEALTH, sweep_vars(report_dir), limit=','.join(hosts)),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ansible_env(cache_env(cache)),
            stdin=subprocess.DEVNULL)
    done = {}
    for number, proc in procs.items():
        output, _ = proc.communicate(timeout=1800)
        done[number] = subprocess.CompletedProcess(proc.args, proc.returncode, output, '')
    return done


def fleet_report(lab, cache, report_dir, extra=None):
    proc = run(lab, FLEET_REPORT, cache, dict(sweep_vars(report_dir), **(extra or {})))
    report_file = report_dir / 'latest' / 'report.json'
    assert report_file.exists(), proc.stdout[-4000:] + proc.stderr[-2000:]
    return proc, json.loads(report_file.read_text())


def age_cache(cache, seconds):
    subprocess.run([sys.executable, '-m', 'billmgr_lab.factcache', 'age', str(cache), str(seconds)],
                   check=True, env=ansible_env({'PYTHONPATH': str(REPO / 'tests' / 'lab')}), timeout=300)


def shape(report):
    """What must match between two reports of the same fleet in the same state: the hosts, their
    findings with their marks, the resolved ones, and the counts built from them."""
    hosts = {}
    for record in report['hosts']:
        hosts[record['host']] = {
            'reachable': record['reachable'],
            'findings': sorted((f['id'], f['key'], f['severity'], f['since_last']) for f in record['findings']),
            'resolved': sorted((f['id'], f['key']) for f in record['resolved']),
        }
    summary = report['summary']
    return {'hosts': hosts, 'since_last': summary['since_last'], 'findings': summary['findings'],
            'decision': (report['decision']['failed'],
                         sorted((f['host'], f['id'], f['key']) for f in report['decision']['failing']))}


def set_maintenance(lab, host, on):
    path = lab.host_path(host, MAINTENANCE)
    if on:
        path.write_text('')
    elif path.exists():
        path.unlink()


@pytest.fixture(scope='module')
def fleet(lab_manager, tmp_path_factory):
    """One earlier sweep in the cache, then the fleet changed: bm07 left maintenance mode (a
    resolved finding), bm06 entered it (a new one). The same cache copied for both ways of sweeping."""
    lab = lab_manager.get(SCENARIO, fresh=True)
    work = tmp_path_factory.mktemp('fleet')
    history = work / 'cache-history'
    try:
        set_maintenance(lab, 'bm07', True)
        first = run(lab, HEALTH, history, sweep_vars(work / 'first'))
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
        set_maintenance(lab, 'bm07', False)
        set_maintenance(lab, 'bm06', True)
        yield lab, work, history
    finally:
        set_maintenance(lab, 'bm06', False)
        set_maintenance(lab, 'bm07', False)


@pytest.fixture(scope='module')
def unsliced(fleet):
    lab, work, history = fleet
    cache = work / 'cache-unsliced'
    shutil.copytree(history, cache)
    proc = run(lab, HEALTH, cache, sweep_vars(work / 'unsliced'))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return latest(work / 'unsliced')


@pytest.fixture(scope='module')
def slices(fleet):
    lab, work, history = fleet
    cache = work / 'cache-sliced'
    shutil.copytree(history, cache)
    procs = sliced(lab, cache, work, 'sliced')
    for number, proc in procs.items():
        assert proc.returncode == 0, (number, proc.stdout[-4000:])
    return cache, procs


def test_history_comes_from_the_fact_cache_alone(unsliced):
    # The unsliced sweep wrote into an empty report directory: its marks can only come from the cache.
    hosts = {record['host']: record for record in unsliced['hosts']}
    assert ('maintenance_mode', 'new') in {(f['id'], f['since_last']) for f in hosts['bm06']['findings']}
    assert 'maintenance_mode' in {f['id'] for f in hosts['bm07']['resolved']}
    assert {f['since_last'] for f in hosts['bm02']['findings'] if f['id'] == 'license_unlinked'} == {'ongoing'}
    assert unsliced['sweep']['previous']['generated_at']


def test_each_slice_sweeps_and_reports_only_its_hosts(fleet, slices):
    _, work, _ = fleet
    for number, hosts in enumerate(SLICES):
        report = latest(work / ('sliced-slice%d' % number))
        assert sorted(record['host'] for record in report['hosts']) == sorted(hosts)


def test_fleet_report_equals_one_unsliced_sweep(fleet, slices, unsliced):
    lab, work, _ = fleet
    cache, _ = slices
    proc, report = fleet_report(lab, cache, work / 'fleet')
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert sorted(record['host'] for record in report['hosts']) == HOSTS
    assert shape(report) == shape(unsliced)
    assert report['summary']['since_last']['new'] >= 1 and report['summary']['since_last']['resolved'] >= 1
    assert not report['notes']
    assert 'PLAY RECAP' in proc.stdout and 'bm01' not in proc.stdout.split('PLAY RECAP')[1]


def test_fleet_report_takes_the_decision_for_the_whole_fleet(fleet, slices):
    lab, work, _ = fleet
    cache, _ = slices
    proc, report = fleet_report(lab, cache, work / 'fleet-decide', {'billmgr_health_fail_on': 'critical'})
    assert proc.returncode != 0
    assert report['decision']['failed']
    assert ('bm02', 'license_unlinked') in {(f['host'], f['id']) for f in report['decision']['failing']}
    assert 'bm02: license_unlinked' in proc.stdout


def test_a_slice_failing_half_way_leaves_its_hosts_named_not_swept(fleet, slices):
    lab, work, _ = fleet
    cache, _ = slices
    # The records so far date from a day ago; the last slice then fails after sweeping its hosts
    # and before leaving their records (its report directory cannot be created).
    age_cache(cache, DAY)
    blocked = work / 'not-a-directory'
    blocked.write_text('')
    procs = sliced(lab, cache, work, 'again', report_dirs={3: blocked})
    assert [procs[number].returncode for number in range(3)] == [0, 0, 0], procs
    assert procs[3].returncode != 0
    proc, report = fleet_report(lab, cache, work / 'fleet-again',
                                {'billmgr_fleet_max_age': '12h', 'billmgr_health_fail_on': 'critical'})
    hosts = {record['host']: record for record in report['hosts']}
    assert sorted(hosts) == HOSTS
    not_swept = sorted(host for host, record in hosts.items()
                       if 'not_swept' in {f['id'] for f in record['findings']})
    assert not_swept == sorted(SLICES[3])
    for host in SLICES[3]:
        (finding,) = hosts[host]['findings']
        assert finding['evidence']['last_swept_at'] and finding['evidence']['findings_then'] is not None
    assert any(', '.join(sorted(SLICES[3])) in note for note in report['notes'])
    # A host nobody swept fails the fleet's decision, named.
    assert proc.returncode != 0 and '%s: not_swept' % SLICES[3][0] in proc.stdout
