"""The health sweep over a fleet with one known fault per host (tests/lab/scenarios/health.yml)."""

import json
import subprocess

import pytest

from conftest import REPO, recap

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'health.yml'
PLAYBOOK = REPO / 'playbooks' / 'health.yml'
# What each fault must show as: (finding id, severity). Info findings may come on top where the
# seed data has them (promised payments, credit limits), never a warning or a critical.
INJECTED = {
    'bm01': set(),
    'bm02': {('license_unlinked', 'critical')},
    'bm03': {('clock_skew', 'critical')},
    'bm04': {('inodes_low', 'critical')},
    'bm05': {('platform_down', 'critical')},
    'bm06': {('checkevent_missing', 'warning'), ('debug_left_on', 'warning')},
    'bm07': {('payments_stuck', 'warning')},
    'bm08': {('log_errors', 'warning'), ('services_stopped_early', 'warning')},
    'bm09': {('os_unsupported', 'warning'), ('license_expiring', 'warning')},
}
ALLOWED_INFO = {'promised_payments', 'credit_limits', 'trial_unavailable', 'log_errors'}


@pytest.fixture(scope='module')
def fleet(lab_manager, tmp_path_factory):
    lab = lab_manager.get(SCENARIO, fresh=True)
    ghost = tmp_path_factory.mktemp('inv') / 'ghost.yml'
    # An address nobody listens on: the sweep must report it and go on with the others.
    ghost.write_text('billmgr:\n  hosts:\n    ghost:\n      ansible_host: 127.0.0.250\n')
    return lab, ghost


def sweep(fleet, report_dir, fail_on='never', extra=None, **kwargs):
    lab, ghost = fleet
    argv_vars = {'billmgr_report_dir': str(report_dir), 'billmgr_health_fail_on': fail_on}
    argv_vars.update(extra or {})
    proc = lab.playbook(PLAYBOOK, extra_vars=argv_vars, inventory_extra=[str(ghost)], **kwargs)
    report_file = report_dir / 'latest' / 'report.json'
    report = json.loads(report_file.read_text()) if report_file.exists() else None
    return proc, report


def by_host(report):
    return {host['host']: host for host in report['hosts']}


@pytest.fixture(scope='module')
def first(fleet, tmp_path_factory):
    report_dir = tmp_path_factory.mktemp('reports')
    proc, report = sweep(fleet, report_dir)
    assert report is not None, proc.stdout[-3000:] + proc.stderr[-3000:]
    return report_dir, proc, report


def test_report_lists_exactly_the_injected_findings(first):
    _, _, report = first
    hosts = by_host(report)
    for name, expected in INJECTED.items():
        found = {(f['id'], f['severity']) for f in hosts[name]['findings'] if f['severity'] != 'info'}
        assert found == expected, (name, hosts[name]['findings'])
        extra_info = {f['id'] for f in hosts[name]['findings'] if f['severity'] == 'info'} - ALLOWED_INFO
        assert not extra_info, (name, extra_info)


def test_early_stops_name_their_reasons(first):
    _, _, report = first
    stops = [f for f in by_host(report)['bm08']['findings'] if f['id'] == 'services_stopped_early']
    assert sorted(f['evidence']['reason'] for f in stops) == ['not_enough_money', 'stat_addon_over_limit']
    money = next(f for f in stops if f['evidence']['reason'] == 'not_enough_money')
    assert money['evidence']['amount'] and money['evidence']['currency']


def test_unreachable_host_is_reported_and_the_rest_swept(first):
    _, proc, report = first
    hosts = by_host(report)
    assert [f['id'] for f in hosts['ghost']['findings']] == ['unreachable']
    assert hosts['ghost']['reachable'] is False
    assert all(hosts[name]['reachable'] for name in INJECTED)


def test_sweep_changes_nothing(first):
    _, proc, _ = first
    counts = recap(proc.stdout)
    assert counts and all(host['changed'] == 0 for host in counts.values()), proc.stdout[-2000:]


def test_second_sweep_marks_findings_ongoing_and_a_fix_resolved(fleet, first):
    report_dir, _, _ = first
    lab, _ = fleet
    lab.ssh('bm06', "(crontab -l; echo '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent "
                    ">/dev/null 2>&1') | crontab -")
    proc, report = sweep(fleet, report_dir)
    hosts = by_host(report)
    assert {f['since_last'] for f in hosts['bm02']['findings']} == {'ongoing'}
    resolved = [f['id'] for f in hosts['bm06']['resolved']]
    assert resolved == ['checkevent_missing'], hosts['bm06']
    assert 'checkevent_missing' not in {f['id'] for f in hosts['bm06']['findings']}


def test_fail_on_critical_fails_after_writing_the_report(fleet, tmp_path):
    proc, report = sweep(fleet, tmp_path, fail_on='critical')
    assert proc.returncode != 0
    assert report is not None


def test_check_mode_works_and_changes_nothing(fleet, tmp_path):
    proc, report = sweep(fleet, tmp_path, check=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert all(host['changed'] == 0 for host in recap(proc.stdout).values())


def test_fail_on_never_passes_with_survey_strings(fleet, tmp_path):
    proc, _ = sweep(fleet, tmp_path, fail_on='never', extra={'billmgr_health_since_last_sweep': 'false',
                                                               'billmgr_health_payments_stuck_hours': '2'})
    assert proc.returncode == 0, proc.stdout[-3000:]
