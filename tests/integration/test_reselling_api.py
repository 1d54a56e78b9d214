"""playbooks/reselling.yml reading the provider over its API (tests/lab/scenarios/reselling_api.yml).

The provider host bm01 serves its API from its own database (tests/lab/stand_ins/provider_api.py).
What the playbook reports is checked against rows read directly from both databases. The tests run
in file order: the correction comes last.
"""

import json

import pytest

from conftest import REPO
from test_billmgr_query import host_sql

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'reselling_api.yml'
PLAYBOOK = REPO / 'playbooks' / 'reselling.yml'
PASSWORD_MARK = 'APIPW-LAB-'


@pytest.fixture(scope='module')
def lab(lab_manager):
    return lab_manager.get(SCENARIO, fresh=True)


def run(lab, report_dir, extra=None, check=False):
    report_dir.mkdir(parents=True, exist_ok=True)
    extra_vars = {'billmgr_reselling_report_dir': str(report_dir)}
    extra_vars.update(extra or {})
    proc = lab.playbook(PLAYBOOK, extra_vars=extra_vars, check=check, diff=check, verbosity=2)
    found = sorted(report_dir.glob('*/reselling.json'))
    report = json.loads(found[-1].read_text()) if found else None
    return proc, report


def by_host(report):
    return {record['host']: record for record in report['hosts']}


def nullable(text):
    return None if text == 'NULL' else text


def mismatches(lab, host):
    """{reseller item: provider (status, expiredate)} for every linked item that differs, read directly."""
    linked = {int(i): (int(r), int(s), nullable(d)) for i, r, s, d in
              host_sql(lab, host, 'SELECT id, remoteid, status, expiredate FROM item WHERE remoteid IS NOT NULL')}
    remote = {int(i): (int(s), nullable(d)) for i, s, d in
              host_sql(lab, 'bm01', 'SELECT id, status, expiredate FROM item WHERE id IN (%s)'
                       % ', '.join(str(r) for r, _s, _d in linked.values()))}
    return {item: remote[r] for item, (r, s, d) in linked.items() if remote.get(r) and remote[r] != (s, d)}


def no_password_in(proc, report_dir):
    assert PASSWORD_MARK not in proc.stdout + proc.stderr
    for path in report_dir.rglob('*'):
        if path.is_file():
            assert PASSWORD_MARK not in path.read_text(errors='replace'), path


@pytest.fixture(scope='module')
def first(lab, tmp_path_factory):
    report_dir = tmp_path_factory.mktemp('reselling-api')
    proc, report = run(lab, report_dir)
    assert report is not None, proc.stdout[-4000:] + proc.stderr[-3000:]
    return proc, report, report_dir


def test_drift_is_read_over_the_api_where_the_provider_is_not_in_the_inventory(lab, first):
    proc, report, _ = first
    expected = mismatches(lab, 'bm02')
    assert len(expected) == 3
    drift = by_host(report)['bm02']['drift']
    assert drift['checked'] is True and drift['source'] == 'api'
    assert drift['provider_api']['username'] == 'reseller-bm02' and drift['provider_api']['password_from'] == 'stored'
    assert drift['provider_api']['url'].endswith(':1580/billmgr')
    assert {d['id']: (d['provider']['status'], d['provider']['expiredate']) for d in drift['items']} == expected
    assert drift['not_at_provider'] == [] and drift['unreadable_at_provider'] == []


def test_the_provider_in_the_inventory_is_still_read_from_its_database(lab, first):
    _, report, _ = first
    drift = by_host(report)['bm04']['drift']
    assert drift['checked'] is True and drift['source'] == 'database'
    assert len(drift['items']) == len(mismatches(lab, 'bm04')) == 1


def test_a_refused_login_is_reported_and_the_run_goes_on(first):
    proc, report, _ = first
    record = by_host(report)['bm03']
    assert record['drift']['checked'] is False
    assert 'Invalid username or password' in record['drift']['not_checked_because']
    assert record['checkevent'] is not None
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_no_password_in_any_output_or_report(first):
    proc, _, report_dir = first
    no_password_in(proc, report_dir)


def test_markdown_names_the_api_as_the_source(first):
    _, _, report_dir = first
    markdown = sorted(report_dir.glob('*/reselling.md'))[-1].read_text()
    assert '### Drift against the provider API at http://' in markdown and 'as reseller-bm02' in markdown
    assert 'Drift not checked: the provider API:' in markdown


def test_drift_fix_over_the_api_corrects_the_items(lab, first, tmp_path_factory):
    report_dir = tmp_path_factory.mktemp('reselling-api-fix')
    proc, report = run(lab, report_dir, extra={'drift_fix': True})
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert len(by_host(report)['bm02']['fix']['changes']) == 3
    assert mismatches(lab, 'bm02') == {}
    no_password_in(proc, report_dir)
