"""A host whose Python cannot run Ansible modules is a finding with the fix, not a failed task.

bm01 runs modules with the lab's stand-in for EL 8's system Python (3.6.8, stand_ins/python36.sh),
bm02 with an interpreter path that does not exist; bm06 is a host as usual.
"""

import json

import pytest

from conftest import REPO, recap

PLAYBOOK = REPO / 'playbooks' / 'health.yml'
HOSTS = ('bm01', 'bm02', 'bm06')


@pytest.fixture(scope='module')
def swept(lab, tmp_path_factory):
    interpreters = tmp_path_factory.mktemp('inv') / 'python.yml'
    interpreters.write_text(json.dumps({'billmgr': {'hosts': {
        'bm01': {'ansible_python_interpreter': '/usr/local/mgr5/lab/python36'},
        'bm02': {'ansible_python_interpreter': '/usr/local/mgr5/lab/no-such-python'}}}}))
    report_dir = tmp_path_factory.mktemp('reports')
    proc = lab.playbook(PLAYBOOK, limit=','.join(HOSTS), inventory_extra=[str(interpreters)],
                        extra_vars={'billmgr_report_dir': str(report_dir), 'billmgr_health_fail_on': 'critical'})
    report_file = report_dir / 'latest' / 'report.json'
    assert report_file.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(report_file.read_text())
    return proc, {host['host']: host for host in report['hosts']}


def test_an_old_python_is_named_with_its_version_and_the_fix(swept):
    _, hosts = swept
    [found] = hosts['bm01']['findings']
    assert found['id'] == 'python_unsupported' and found['severity'] == 'critical', found
    assert found['evidence']['version'] == '3.6.8'
    assert found['evidence']['interpreter'] == '/usr/libexec/platform-python'
    assert 'dnf install python39' in found['fix'] and 'ansible_python_interpreter' in found['fix']


def test_a_missing_interpreter_is_named(swept):
    _, hosts = swept
    [found] = hosts['bm02']['findings']
    assert found['id'] == 'python_unsupported' and found['evidence']['state'] == 'none', found


def test_the_other_hosts_are_swept_as_usual(swept):
    _, hosts = swept
    assert hosts['bm06']['reachable'] is True
    assert 'python_unsupported' not in {f['id'] for f in hosts['bm06']['findings']}


def test_the_recap_fails_them_on_the_finding_not_on_a_task(swept):
    proc, _ = swept
    counts = recap(proc.stdout)
    for host in ('bm01', 'bm02'):
        assert counts[host]['failed'] == 1 and counts[host]['unreachable'] == 0, counts[host]
    assert 'bm01: 1 finding(s) at or above critical (billmgr_health_fail_on): python_unsupported.' in proc.stdout
    # The module call that could not run is no failed task of its own.
    assert 'MODULE FAILURE' not in proc.stdout.split('PLAY RECAP')[-1]
