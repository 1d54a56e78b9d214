# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""billmgr_item_sync against a real MariaDB holding the lab's provider and reseller databases.

The lab seeds a reseller with `drift: 2`: exactly two linked items differ from the provider's
rows. The expected drift is computed here from the seed rows, not through the module's code.
"""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._database import mysqlcli
from ansible_collections.billmgr.ops.plugins.modules import billmgr_item_sync

from billmgr_lab import dbseed, mariadb, scenario

DB_PASSWORD = 'sync"Pa\'ss#1 x'
FLEET = {'hosts': {'bm01': {'role': 'provider'},
                   'bm02': {'role': 'reseller', 'provider': 'bm01', 'faults': {'drift': 2}},
                   'bm03': {}}}


def iso(value):
    return value.isoformat() if value is not None else None


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    with mariadb.running_server(tmp_path_factory.mktemp('mariadb')) as running:
        yield running


@pytest.fixture
def fleet(server):
    """Fresh databases for every test: the provider bm01, the reseller bm02 and a standalone bm03."""
    fleet = scenario.parse_scenario(FLEET)
    now = datetime.now().replace(microsecond=0)
    seeds = {}
    for name in ('bm01', 'bm02', 'bm03'):
        seed = dbseed.build_seed(fleet.host(name), fleet, now)
        db = SimpleNamespace(name='sync_' + name, user='sync_' + name, password=DB_PASSWORD)
        server.sql('DROP DATABASE IF EXISTS `%s`;' % db.name)
        mariadb.create_host_database(server.sql, db, dbseed.schema_sql(), dbseed.render_inserts(seed.tables))
        seeds[name] = SimpleNamespace(seed=seed, db=db)
    return seeds


def root_for(fake_mgr_root, server, db):
    fake_mgr_root.write_db_conf(server.socket, db.user, db.password, db.name)
    return fake_mgr_root.path


@pytest.fixture
def reseller(fake_mgr_root, server, fleet):
    return root_for(fake_mgr_root, server, fleet['bm02'].db)


def provider_rows(fleet):
    """The provider's rows of the items the reseller links to, as billmgr_query's items query gives them."""
    linked = {row['remoteid'] for row in fleet['bm02'].seed.tables['item'] if row['remoteid']}
    return [{'id': row['id'], 'status': row['status'], 'expiredate': iso(row['expiredate']), 'remoteid': None}
            for row in fleet['bm01'].seed.tables['item'] if row['id'] in linked]


def expected_drift(fleet):
    provider = dict((row['id'], row) for row in provider_rows(fleet))
    drift = {}
    for row in fleet['bm02'].seed.tables['item']:
        remote = provider.get(row['remoteid'])
        if remote and (remote['status'], remote['expiredate']) != (row['status'], iso(row['expiredate'])):
            drift[row['id']] = remote
    return drift


def reseller_rows(server, fleet, ids):
    text = server.sql('SELECT id, status, IFNULL(expiredate, "NULL") FROM item WHERE id IN (%s) ORDER BY id'
                      % ', '.join(str(i) for i in ids), fleet['bm02'].db.name)
    return dict((int(i), (int(s), None if d == 'NULL' else d)) for i, s, d in (line.split('\t') for line in text.splitlines()))


def test_read_only_returns_what_the_reseller_takes_from_its_provider(run_module, reseller, fleet):
    result = run_module(billmgr_item_sync, {'mgr_root': reseller})
    assert not result.get('failed'), result
    seed = fleet['bm02'].seed.tables
    assert result['changed'] is False and result['drift'] == [] and result['changes'] == []
    assert result['processing_modules'] == [{'id': dbseed.RESELLER_MODULE_ID, 'name': 'Provider bm01',
                                             'module': 'pmbillmgr', 'active': 'on'}]
    assert [plan['intname'] for plan in result['imported_plans']] == \
        ['%d-%s' % (dbseed.RESELLER_MODULE_ID, name) for name in dbseed.SELLABLE]
    assert [(row['id'], row['remoteid'], row['status'], row['expiredate']) for row in result['linked_items']] == \
        [(row['id'], row['remoteid'], row['status'], iso(row['expiredate'])) for row in seed['item'] if row['remoteid']]
    assert DB_PASSWORD not in json.dumps(result)


def test_a_billing_that_resells_nothing_has_nothing_linked(run_module, fake_mgr_root, server, fleet):
    result = run_module(billmgr_item_sync, {'mgr_root': root_for(fake_mgr_root, server, fleet['bm03'].db),
                                            'provider_items': []})
    assert not result.get('failed'), result
    assert result['processing_modules'] == [] and result['linked_items'] == [] and result['imported_plans'] == []
    assert result['drift'] == []


def test_drift_is_exactly_the_injected_rows(run_module, reseller, fleet):
    expected = expected_drift(fleet)
    assert len(expected) == 2
    result = run_module(billmgr_item_sync, {'mgr_root': reseller, 'provider_items': provider_rows(fleet)})
    assert not result.get('failed'), result
    assert {entry['id']: entry['provider'] for entry in result['drift']} == \
        {item: {'status': row['status'], 'expiredate': row['expiredate']} for item, row in expected.items()}
    assert result['changed'] is False and result['not_at_provider'] == [] and result['sql'] == []


def test_fix_sets_the_provider_values_and_a_second_run_changes_nothing(run_module, reseller, server, fleet):
    expected = expected_drift(fleet)
    before = reseller_rows(server, fleet, expected)
    result = run_module(billmgr_item_sync, {'mgr_root': reseller, 'provider_items': provider_rows(fleet), 'fix': True},
                        diff=True)
    assert not result.get('failed'), result
    assert result['changed'] is True and result['conflicts'] == []
    assert reseller_rows(server, fleet, expected) == {item: (row['status'], row['expiredate'])
                                                      for item, row in expected.items()}
    assert {c['id']: (c['before']['status'], c['before']['expiredate']) for c in result['changes']} == before
    assert {c['id']: c['after'] for c in result['changes']} == \
        {item: {'status': row['status'], 'expiredate': row['expiredate']} for item, row in expected.items()}
    assert result['diff']['before'].count('item ') == 2 and result['diff']['before'] != result['diff']['after']
    again = run_module(billmgr_item_sync, {'mgr_root': reseller, 'provider_items': provider_rows(fleet), 'fix': True})
    assert again['changed'] is False and again['drift'] == [] and again['sql'] == []


def test_check_mode_predicts_and_writes_nothing(run_module, reseller, server, fleet):
    expected = expected_drift(fleet)
    before = reseller_rows(server, fleet, expected)
    result = run_module(billmgr_item_sync, {'mgr_root': reseller, 'provider_items': provider_rows(fleet), 'fix': True},
                        check_mode=True, diff=True)
    assert result['changed'] is True and len(result['changes']) == 2 and len(result['sql']) == 1
    assert reseller_rows(server, fleet, expected) == before
    assert 'diff' in result


def test_expect_guards_what_a_backup_does_not_hold(run_module, reseller, server, fleet):
    expected = expected_drift(fleet)
    first, second = sorted(expected)
    before = reseller_rows(server, fleet, expected)
    backup = [{'id': first, 'status': before[first][0], 'expiredate': before[first][1]},
              {'id': second, 'status': 1, 'expiredate': '2001-01-01'}]
    result = run_module(billmgr_item_sync, {'mgr_root': reseller, 'provider_items': provider_rows(fleet), 'fix': True,
                                            'expect': backup})
    assert not result.get('failed'), result
    assert [c['id'] for c in result['changes']] == [first]
    assert [(c['id'], c['reason']) for c in result['conflicts']] == [(second, 'changed since the backup')]
    assert reseller_rows(server, fleet, [second]) == {second: before[second]}


def test_a_row_changed_between_read_and_write_is_left_alone(run_module, reseller, server, fleet, monkeypatch):
    expected = expected_drift(fleet)
    first, second = sorted(expected)
    real_select = mysqlcli.MysqlClient.select

    def select_after_someone_else(self, sql):
        if sql.startswith('START TRANSACTION'):
            server.sql('UPDATE item SET expiredate = DATE "2031-07-07" WHERE id = %d' % second, fleet['bm02'].db.name)
        return real_select(self, sql)

    monkeypatch.setattr(mysqlcli.MysqlClient, 'select', select_after_someone_else)
    result = run_module(billmgr_item_sync, {'mgr_root': reseller, 'provider_items': provider_rows(fleet), 'fix': True})
    assert not result.get('failed'), result
    assert [c['id'] for c in result['changes']] == [first]
    assert [(c['id'], c['reason'], c['now']['expiredate']) for c in result['conflicts']] == \
        [(second, 'changed meanwhile', '2031-07-07')]


def test_items_the_provider_does_not_hold_are_listed_never_changed(run_module, reseller, fleet):
    rows = provider_rows(fleet)
    dropped = rows.pop()
    result = run_module(billmgr_item_sync, {'mgr_root': reseller, 'provider_items': rows, 'fix': True},
                        check_mode=True)
    assert [entry['remoteid'] for entry in result['not_at_provider']] == [dropped['id']]
    assert dropped['id'] not in [c['id'] for c in result['changes']]


@pytest.mark.parametrize('args, message', [
    ({'provider_items': [{'id': '1; DROP TABLE item', 'status': 2, 'expiredate': None}]},
     r'provider_items[0].id must be a plain positive integer'),
    ({'provider_items': [{'id': 1, 'status': 2, 'expiredate': "2026-01-01' OR '1'='1"}]},
     r'provider_items[0].expiredate must be a date YYYY-MM-DD or null'),
    ({'provider_items': [], 'fix': True, 'expect': [{'id': 1, 'status': 'x', 'expiredate': None}]},
     r'expect[0].status must be an item status'),
    ({'processing_module': '5 OR 1=1'}, 'processing_module must be a plain positive integer'),
    ({'fix': True}, 'fix is True but all of the following are missing: provider_items'),
    ({'timeout': 0}, 'timeout: 0.0 is out of range: give a number above 0'),
])
def test_bad_values_fail_before_the_database(run_module, reseller, server, fleet, args, message):
    count = server.sql('SELECT COUNT(*), SUM(status) FROM item', fleet['bm02'].db.name)
    result = run_module(billmgr_item_sync, dict(args, mgr_root=reseller))
    assert result['failed'] and message in result['msg']
    assert result.get('db', {}) == {} and server.sql('SELECT COUNT(*), SUM(status) FROM item', fleet['bm02'].db.name) == count


def test_an_unknown_status_at_the_provider_is_not_written(run_module, reseller, server, fleet):
    expected = expected_drift(fleet)
    before = reseller_rows(server, fleet, expected)
    drifted_at_provider = {row['id'] for row in expected.values()}
    rows = [dict(row, status=9) if row['id'] in drifted_at_provider else row for row in provider_rows(fleet)]
    result = run_module(billmgr_item_sync, {'mgr_root': reseller, 'provider_items': rows, 'fix': True})
    assert result['failed'] and 'status is 9, not an item status this collection writes' in result['msg']
    assert result['sql'] == [] and reseller_rows(server, fleet, expected) == before


def test_several_provider_modules_need_a_choice(run_module, reseller, server, fleet):
    server.sql("INSERT INTO processingmodule (id, name, module, active) VALUES (9, 'Provider two', 'pmbillmgr', 'on')",
               fleet['bm02'].db.name)
    result = run_module(billmgr_item_sync, {'mgr_root': reseller})
    assert result['failed'] and 'through 2 provider modules' in result['msg']
    chosen = run_module(billmgr_item_sync, {'mgr_root': reseller, 'processing_module': 9})
    assert not chosen.get('failed') and chosen['linked_items'] == []


def test_documentation_renders_and_matches_argspec(ansible_doc, assert_docs_match_argspec):
    doc = ansible_doc('billmgr.ops.billmgr_item_sync')
    assert_docs_match_argspec(billmgr_item_sync, doc['doc']['options'])
    assert set(doc['return']) == {'processing_modules', 'imported_plans', 'linked_items', 'drift', 'not_at_provider',
                                  'changes', 'conflicts', 'sql', 'db'}


@pytest.mark.parametrize('variant', ['public', 'minimal'])
def test_a_schema_with_fewer_columns_is_read_with_what_it_has(run_module, fake_mgr_root, server, fleet, variant):
    # The public schema has no processingmodule.active; the minimal one no processingmodule at all.
    seed = fleet['bm02'].seed
    db = SimpleNamespace(name='sync_bm02_' + variant, user='sync_' + variant, password=DB_PASSWORD)
    server.sql('DROP DATABASE IF EXISTS `%s`;' % db.name)
    mariadb.create_host_database(server.sql, db, dbseed.schema_sql(variant),
                                 dbseed.render_inserts(seed.tables, variant=variant))
    result = run_module(billmgr_item_sync, {'mgr_root': root_for(fake_mgr_root, server, db),
                                            'provider_items': provider_rows(fleet)})
    assert not result.get('failed'), result
    if variant == 'public':
        assert result['processing_modules'] == [{'id': dbseed.RESELLER_MODULE_ID, 'name': 'Provider bm01',
                                                 'module': 'pmbillmgr'}]
        assert len(result['drift']) == 2
    else:
        assert result['processing_modules'] == [] and result['drift'] == []
        assert any('no processingmodule' in warning for warning in result['warnings'])
