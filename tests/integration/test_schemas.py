"""The health sweep over a fleet mixing the lab's three schema variants (tests/lab/scenarios/schemas.yml).

Every host is reachable and its database answers; every finding its schema can support is there,
and what it cannot support is a query_unsupported finding naming the look-up and the missing names.
"""

import json

import pytest

from conftest import REPO

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'schemas.yml'
PLAYBOOK = REPO / 'playbooks' / 'health.yml'
PUBLIC_UNSUPPORTED = {'promised_payments': ['promisepayment'], 'credit_limits': ['subaccount'],
                      'itemevent_backlog': ['itemevent']}
MINIMAL_UNSUPPORTED = {'payments_in_pay': ['payment'], 'reselling_modules': ['processingmodule']}
# Per host: the warnings and criticals exactly (id, key), and the info findings that must be there.
EXPECTED = {
    'bm01': (set(), {('credit_limits', ''), ('promised_payments', '')}),
    'bm02': ({('payments_stuck', ''), ('checkevent_missing', ''), ('itemevent_backlog', '')},
             {('credit_limits', ''), ('promised_payments', '')}),
    'bm03': (set(), {('query_unsupported', label) for label in PUBLIC_UNSUPPORTED}),
    'bm04': ({('payments_stuck', ''), ('checkevent_slow', '')},
             {('query_unsupported', label) for label in PUBLIC_UNSUPPORTED}),
    'bm05': (set(), {('query_unsupported', label) for label in MINIMAL_UNSUPPORTED}
             | {('itemevent_backlog', ''), ('credit_limits', ''), ('promised_payments', ''),
                ('trial_unavailable', '')}),
    'bm06': (set(), {('query_unsupported', label) for label in MINIMAL_UNSUPPORTED}),
}
CONTEXT = {'credit_limits', 'promised_payments', 'trial_unavailable'}
NEVER = {'database_unreachable', 'database_access_denied', 'database_missing', 'sweep_incomplete', 'query_failed',
         'unreachable'}


@pytest.fixture(scope='module')
def report(lab_manager, tmp_path_factory):
    lab = lab_manager.get(SCENARIO, fresh=True)
    report_dir = tmp_path_factory.mktemp('reports')
    # The default fail_on (critical): a fleet whose databases all answer has nothing critical.
    proc = lab.playbook(PLAYBOOK, extra_vars={'billmgr_report_dir': str(report_dir)})
    report_file = report_dir / 'latest' / 'report.json'
    assert report_file.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, {host['host']: host for host in json.loads(report_file.read_text())['hosts']}


def findings(hosts, name):
    return hosts[name]['findings']


def test_every_host_is_swept_and_no_database_is_unreachable(report):
    proc, hosts = report
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert set(hosts) == set(EXPECTED)
    for name, host in hosts.items():
        assert host['reachable'], name
        assert not NEVER & {f['id'] for f in host['findings']}, (name, host['findings'])


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_every_finding_the_schema_supports_is_there(report, name):
    _, hosts = report
    serious, info = EXPECTED[name]
    found = findings(hosts, name)
    assert {(f['id'], f['key']) for f in found if f['severity'] != 'info'} == serious, found
    # What asks nothing of the operator is the host's context, not a finding.
    context = {(item['id'], '') for item in hosts[name].get('context') or []}
    assert {entry for entry in info if entry[0] in CONTEXT} <= context, hosts[name].get('context')
    assert {entry for entry in info if entry[0] not in CONTEXT} <= {
        (f['id'], f['key']) for f in found if f['severity'] == 'info'}, found


def test_unsupported_look_ups_name_what_the_schema_lacks(report):
    _, hosts = report
    for name, expected in (('bm03', PUBLIC_UNSUPPORTED), ('bm05', MINIMAL_UNSUPPORTED)):
        said = {f['key']: f['evidence']['missing'] for f in findings(hosts, name) if f['id'] == 'query_unsupported'}
        assert said == expected, (name, said)


def test_payments_are_told_per_method_on_the_public_schema(report):
    _, hosts = report
    (stuck,) = [f for f in findings(hosts, 'bm04') if f['id'] == 'payments_stuck']
    (method,) = [row for row in stuck['evidence']['paymethods'] if row['paymethod_module'] == 'pmpaymaster']
    assert method['count'] == 2 and method['over_hours'] == 2 and method['oldest_age_seconds'] >= 7 * 3600
    assert 'PayMaster: 2' in stuck['summary']


def test_minimal_schema_backlog_has_a_count_but_no_age(report):
    _, hosts = report
    (backlog,) = [f for f in findings(hosts, 'bm05') if f['id'] == 'itemevent_backlog']
    assert backlog['severity'] == 'info' and backlog['evidence']['count'] == 3
    assert backlog['evidence']['oldest_age_seconds'] is None


def test_slow_checkevent_gives_the_runbook_line(report):
    _, hosts = report
    (slow,) = [f for f in findings(hosts, 'bm04') if f['id'] == 'checkevent_slow']
    assert slow['evidence']['interval_minutes'] == 15
    assert '*/5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1' in slow['fix']


def test_encrypted_item_parameters_never_reach_a_report(report, lab_manager):
    proc, _ = report
    from billmgr_lab import dbseed
    assert dbseed.CRYPTED_MARK not in proc.stdout + proc.stderr
