"""playbooks/reselling.yml over SSH against tests/lab/scenarios/reselling.yml.

bm01 provides for the resellers bm02 (two drifted items, no checkevent line) and bm03 (the line
through cron-billmgr); bm04 is standalone without the line and must be left alone. What the
playbook reports is checked against crontabs and rows read directly, not through the collection.
The tests run in file order: each one starts from what the one before left.
"""

import json

import pytest

from conftest import REPO, recap
from test_billmgr_query import host_sql

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'reselling.yml'
PLAYBOOK = REPO / 'playbooks' / 'reselling.yml'
RESELLERS = ('bm02', 'bm03')
HOSTS = ('bm01', 'bm02', 'bm03', 'bm04')
CHECKEVENT = '/usr/local/mgr5/sbin/mgrctl -m billmgr checkevent'


@pytest.fixture(scope='module')
def lab(lab_manager):
    return lab_manager.get(SCENARIO, fresh=True)


@pytest.fixture(scope='module')
def reports(tmp_path_factory):
    return tmp_path_factory.mktemp('reselling-reports')


def run(lab, report_dir, extra=None, check=False):
    """One playbook run with its own report directory: (process, report data or None)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    extra_vars = {'billmgr_reselling_report_dir': str(report_dir)}
    extra_vars.update(extra or {})
    proc = lab.playbook(PLAYBOOK, extra_vars=extra_vars, check=check, diff=check)
    found = sorted(report_dir.glob('*/reselling.json'))
    report = json.loads(found[-1].read_text()) if found else None
    return proc, report


def by_host(report):
    return {record['host']: record for record in report['hosts']}


def output(proc):
    return proc.stdout[-4000:] + proc.stderr[-3000:]


def crontab(lab, host):
    return lab.ssh(host, 'crontab -l', check=False).stdout


def nullable(text):
    return None if text == 'NULL' else text


def linked_rows(lab, host):
    """The reseller's linked items, read directly: {id: (remoteid, status, expiredate)}."""
    rows = host_sql(lab, host, 'SELECT id, remoteid, status, expiredate FROM item WHERE remoteid IS NOT NULL')
    return {int(i): (int(r), int(s), nullable(d)) for i, r, s, d in rows}


def provider_rows(lab, ids):
    rows = host_sql(lab, 'bm01', 'SELECT id, status, expiredate FROM item WHERE id IN (%s)'
                    % ', '.join(str(i) for i in ids))
    return {int(i): (int(s), nullable(d)) for i, s, d in rows}


def mismatches(lab, host):
    """{reseller item: provider (status, expiredate)} for every linked item that differs, read directly."""
    linked = linked_rows(lab, host)
    provider = provider_rows(lab, [remote for remote, _s, _d in linked.values()])
    return {item: provider[remote] for item, (remote, status, expires) in linked.items()
            if provider.get(remote) and provider[remote] != (status, expires)}


def database_state(lab, host):
    """What the playbook could change in a host's database."""
    return {'items': host_sql(lab, host, 'SELECT id, status, expiredate FROM item ORDER BY id'),
            'events': host_sql(lab, host, 'SELECT id FROM itemevent ORDER BY id'),
            'plans': host_sql(lab, host, 'SELECT id, syncdate FROM pricelist ORDER BY id')}


def imported_plans(lab, host):
    return {int(i): (name, nullable(synced)) for i, name, synced in
            host_sql(lab, host, "SELECT id, intname, syncdate FROM pricelist WHERE intname REGEXP '^[0-9]+-'")}


@pytest.fixture(scope='module')
def before(lab):
    """The fleet as the lab made it, read before any run."""
    return {host: {'crontab': crontab(lab, host), 'db': database_state(lab, host)} for host in HOSTS}


def test_the_lab_holds_what_the_scenario_says(lab, before):
    assert len(mismatches(lab, 'bm02')) == 2 and mismatches(lab, 'bm03') == {}
    assert CHECKEVENT not in before['bm02']['crontab'] and 'checkevent' not in before['bm04']['crontab']
    assert 'cron-billmgr sbin/mgrctl -m billmgr checkevent' in before['bm03']['crontab']


def test_check_mode_changes_nothing(lab, before, reports):
    proc, report = run(lab, reports / 'check', check=True,
                       extra={'reselling_checkevent': True, 'reselling_sync_plans': 'all', 'drift_fix': True})
    assert proc.returncode == 0, output(proc)
    assert report['check_mode'] is True
    for host in HOSTS:
        assert crontab(lab, host) == before[host]['crontab'], host
        assert database_state(lab, host) == before[host]['db'], host
    assert not (reports / 'check' / 'backups').exists() or not list((reports / 'check' / 'backups').iterdir())
    hosts = by_host(report)
    assert len(hosts['bm02']['fix']['changes']) == 2 and hosts['bm02']['fix']['backup'] is None
    assert hosts['bm02']['checkevent']['added'] is True


@pytest.fixture(scope='module')
def first(lab, before, reports):
    proc, report = run(lab, reports / 'first')
    assert proc.returncode == 0, output(proc)
    return proc, report


def test_checkevent_line_is_added_only_where_missing(lab, before, first):
    _, report = first
    hosts = by_host(report)
    added = crontab(lab, 'bm02')
    assert added.startswith(before['bm02']['crontab'])
    assert '*/5 * * * * %s >/dev/null 2>&1' % CHECKEVENT in added.splitlines()
    assert hosts['bm02']['checkevent']['present'] is False and hosts['bm02']['checkevent']['added'] is True
    assert crontab(lab, 'bm03') == before['bm03']['crontab']
    assert hosts['bm03']['checkevent'] == dict(hosts['bm03']['checkevent'], present=True, form='wrapper', added=False)
    for host in ('bm01', 'bm04'):
        assert crontab(lab, host) == before[host]['crontab'], host
        assert hosts[host]['reseller'] is False and hosts[host]['checkevent'] is None


def test_backlog_is_reported_with_its_count_and_age(lab, first):
    _, report = first
    for host in RESELLERS:
        count, oldest_age = host_sql(lab, host, 'SELECT COUNT(*), TIMESTAMPDIFF(SECOND, MIN(createdate), NOW()) '
                                                'FROM itemevent')[0]
        backlog = by_host(report)[host]['backlog']
        assert backlog['count'] == int(count) == 4, host
        # Read a moment after the playbook: the age it reported is at most that, and not much less.
        assert int(oldest_age) - 300 <= backlog['oldest_age_seconds'] <= int(oldest_age), (host, backlog)
        assert backlog['stale'] is (backlog['oldest_age_seconds'] > 15 * 60)


def test_drift_report_lists_exactly_the_injected_mismatches(lab, first, reports):
    _, report = first
    hosts = by_host(report)
    expected = mismatches(lab, 'bm02')
    assert len(expected) == 2
    drift = hosts['bm02']['drift']
    assert drift['checked'] is True and drift['linked_items'] == len(linked_rows(lab, 'bm02'))
    assert {d['id']: (d['provider']['status'], d['provider']['expiredate']) for d in drift['items']} == expected
    linked = linked_rows(lab, 'bm02')
    for entry in drift['items']:
        remote, status, expires = linked[entry['id']]
        assert entry['remoteid'] == remote and entry['reseller'] == {'status': status, 'expiredate': expires}
    assert hosts['bm03']['drift']['checked'] is True and hosts['bm03']['drift']['items'] == []
    assert hosts['bm01']['drift']['checked'] is False
    markdown = sorted((reports / 'first').glob('*/reselling.md'))[-1].read_text()
    assert '2 of %d linked items differ' % drift['linked_items'] in markdown
    # Hosts with nothing to do are said once, in one table, not a section each.
    assert 'Not resellers (no `pmbillmgr` processing module), left alone: 2 host(s).' in markdown
    assert '| bm01 |' in markdown and '| bm04 |' in markdown
    assert '## bm01' not in markdown and '## bm04' not in markdown and '## bm02' in markdown
    assert 'Not a reseller' not in markdown
    for item in expected:
        assert '| %d |' % item in markdown


def test_a_second_run_changes_nothing(lab, first, reports):
    proc, report = run(lab, reports / 'second')
    assert proc.returncode == 0, output(proc)
    counts = recap(proc.stdout)
    assert set(counts) == set(HOSTS) and all(host['changed'] == 0 for host in counts.values()), proc.stdout[-3000:]
    assert by_host(report)['bm02']['checkevent']['present'] is True


def test_checkevent_runs_on_request_and_empties_the_backlog(lab, reports):
    proc, report = run(lab, reports / 'checkevent', extra={'reselling_checkevent': 'true'})
    assert proc.returncode == 0, output(proc)
    for host in RESELLERS:
        record = by_host(report)[host]
        assert record['backlog']['count'] == 4 and record['checkevent_run']['ran'] is True
        assert record['checkevent_run']['backlog_after']['count'] == 0
        assert host_sql(lab, host, 'SELECT COUNT(*) FROM itemevent') == [['0']]
        # The run answered it: no note still asks whether checkevent runs.
        assert not [note for note in record['notes'] if 'is checkevent running' in note], record['notes']
    assert by_host(report)['bm01']['checkevent_run']['requested'] is False


def test_pricelist_sync_runs_for_the_chosen_plans(lab, reports):
    plans = imported_plans(lab, 'bm02')
    chosen = sorted(plans)[:2]
    proc, report = run(lab, reports / 'sync-some', extra={'reselling_sync_plans': '[%d,%d]' % tuple(chosen)})
    assert proc.returncode == 0, output(proc)
    after = imported_plans(lab, 'bm02')
    for plan in plans:
        if plan in chosen:
            assert after[plan][1] is not None and after[plan][1] > (plans[plan][1] or ''), plan
        else:
            assert after[plan] == plans[plan], plan
    assert [(p['id'], p['ok']) for p in by_host(report)['bm02']['plans']['synced']] == [(plan, True) for plan in chosen]


def test_pricelist_sync_all_takes_every_imported_plan(lab, reports):
    before = {host: imported_plans(lab, host) for host in RESELLERS}
    local = host_sql(lab, 'bm02', "SELECT id, syncdate FROM pricelist WHERE intname NOT REGEXP '^[0-9]+-'")
    proc, report = run(lab, reports / 'sync-all', extra={'reselling_sync_plans': 'all'})
    assert proc.returncode == 0, output(proc)
    for host in RESELLERS:
        after = imported_plans(lab, host)
        assert sorted(p['id'] for p in by_host(report)[host]['plans']['synced']) == sorted(before[host])
        assert all(after[plan][1] is not None and after[plan][1] > (before[host][plan][1] or '') for plan in after)
    assert host_sql(lab, 'bm02', "SELECT id, syncdate FROM pricelist WHERE intname NOT REGEXP '^[0-9]+-'") == local


def test_a_plan_that_is_not_imported_is_refused_before_any_sync(lab, reports):
    local_plan = int(host_sql(lab, 'bm02', "SELECT MIN(id) FROM pricelist WHERE intname NOT REGEXP '^[0-9]+-'")[0][0])
    imported = sorted(imported_plans(lab, 'bm02'))[0]
    before = imported_plans(lab, 'bm02')
    proc, _ = run(lab, reports / 'sync-bad', extra={'reselling_sync_plans': [imported, local_plan]})
    assert proc.returncode != 0
    assert 'plan(s) %d are not tariff plans imported from a provider here' % local_plan in proc.stdout
    assert imported_plans(lab, 'bm02') == before


def test_drift_fix_backs_up_then_corrects_and_the_next_report_is_empty(lab, reports):
    expected = mismatches(lab, 'bm02')
    rows_before = linked_rows(lab, 'bm02')
    assert len(expected) == 2
    proc, report = run(lab, reports / 'fix', extra={'drift_fix': 'true'})
    assert proc.returncode == 0, output(proc)
    assert mismatches(lab, 'bm02') == {}
    now = linked_rows(lab, 'bm02')
    for item, values in expected.items():
        assert now[item][1:] == values
    assert {item: row for item, row in now.items() if item not in expected} == \
        {item: row for item, row in rows_before.items() if item not in expected}

    fix = by_host(report)['bm02']['fix']
    assert sorted(change['id'] for change in fix['changes']) == sorted(expected) and fix['conflicts'] == []
    backups = sorted((reports / 'fix' / 'backups').glob('bm02-*.json'))
    assert [str(path) for path in backups] == [fix['backup']]
    backup = json.loads(backups[0].read_text())
    assert backup['host'] == 'bm02' and backup['provider_host'] == 'bm01'
    assert {row['id']: (row['remoteid'], row['status'], row['expiredate']) for row in backup['rows']} == \
        {item: rows_before[item] for item in expected}
    assert by_host(report)['bm03']['fix']['changes'] == [] and not list((reports / 'fix' / 'backups').glob('bm03-*'))

    proc, report = run(lab, reports / 'after-fix', extra={'drift_fix': True})
    assert proc.returncode == 0, output(proc)
    assert by_host(report)['bm02']['drift']['items'] == [] and by_host(report)['bm02']['fix']['backup'] is None
    assert all(host['changed'] == 0 for host in recap(proc.stdout).values()), proc.stdout[-3000:]


def test_a_backup_is_never_overwritten(lab, reports):
    """A second fix run into the same directory keeps the first backup and writes a new one."""
    backups = reports / 'fix' / 'backups'
    first = {path: path.read_bytes() for path in backups.iterdir()}
    row = next(iter(linked_rows(lab, 'bm02')))
    host_sql(lab, 'bm02', 'UPDATE item SET status = IF(status = 2, 3, 2) WHERE id = %d' % row)
    proc, report = run(lab, reports / 'fix', extra={'drift_fix': True})
    assert proc.returncode == 0, output(proc)
    assert {path: path.read_bytes() for path in first} == first
    assert len(list(backups.iterdir())) == len(first) + 1
    assert mismatches(lab, 'bm02') == {}


def test_bad_options_are_refused_before_anything_runs(lab, reports):
    proc, _ = run(lab, reports / 'bad', extra={'reselling_sync_plans': '5; rm -rf /'})
    assert proc.returncode != 0 and 'reselling_sync_plans a list of plan ids' in proc.stdout
    assert not list((reports / 'bad').glob('*/reselling.json'))
