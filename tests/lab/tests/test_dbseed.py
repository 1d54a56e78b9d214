"""The seed rows of a host's database, checked in Python (test_database.py loads them into MariaDB)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from billmgr_lab import dbseed, providerapi
from billmgr_lab.scenario import parse_scenario

NOW = datetime(2026, 6, 15, 12, 30, 0)


def seed_of(data, name, seed=1, now=NOW):
    fleet = parse_scenario(data, 'seed.yml', seed=seed)
    return dbseed.build_seed(fleet.host(name), fleet, now), fleet


def healthy(**faults):
    return {'hosts': {'bm01': {'faults': faults} if faults else {}}}


def pair(drift=None, provider_faults=None, second_reseller=False, **reseller_settings):
    reseller = {'role': 'reseller', 'provider': 'prov', **reseller_settings}
    if drift is not None:
        reseller['faults'] = {'drift': drift}
    hosts = {'prov': {'role': 'provider', 'faults': provider_faults or {}}, 'res': reseller}
    if second_reseller:
        hosts['res2'] = {'role': 'reseller', 'provider': 'prov', 'faults': {'drift': 1}}
    return {'hosts': hosts}


def drift_count(reseller_seed, provider_seed):
    provider_items = {row['id']: row for row in provider_seed.rows('item')}
    linked = [row for row in reseller_seed.rows('item') if row['remoteid'] is not None]
    assert linked and all(row['remoteid'] in provider_items for row in linked)
    return sum(1 for row in linked if (row['status'], row['expiredate']) !=
               (provider_items[row['remoteid']]['status'], provider_items[row['remoteid']]['expiredate']))


def test_seed_is_deterministic_per_fleet_seed_and_host():
    first = dbseed.render_inserts(seed_of(healthy(), 'bm01')[0].tables)
    assert first == dbseed.render_inserts(seed_of(healthy(), 'bm01')[0].tables)
    assert first != dbseed.render_inserts(seed_of(healthy(), 'bm01', seed=2)[0].tables)
    two_hosts = {'hosts': {'bm01': {}, 'bm02': {}}}
    assert first != dbseed.render_inserts(seed_of(two_hosts, 'bm02')[0].tables)


def test_healthy_rows_are_realistic():
    seed, _fleet = seed_of(healthy(), 'bm01')
    items = seed.rows('item')
    assert {row['status'] for row in items} == {1, 2, 3, 4, 5}
    assert any(row['parent'] for row in items)
    assert sum(1 for row in seed.rows('subaccount') if row['creditlimit'] > 0) >= 3
    assert len(seed.rows('promisepayment')) == 3
    modules = {row['module']: row['active'] for row in seed.rows('processingmodule')}
    assert modules == {'pmvmmgr6': 'on', 'pmispmgr5': 'on', 'pmvmmgr5': 'off'}
    lickeys = [row['value'] for row in seed.rows('itemparam') if row['intname'] == 'lickey']
    assert lickeys and all(re.fullmatch(r'[0-9a-f]{32}', key) for key in lickeys)
    assert any(row['partner'] for row in seed.rows('account2project'))
    assert {row['status'] for row in seed.rows('payment')} <= {1, 4, 7, 9}
    assert seed.rows('itemevent') == [] and seed.early_stops == []
    assert seed.active_items and all(item in {row['id'] for row in items} for item in seed.active_items)


@pytest.mark.parametrize('count', [1, 3, 12])
def test_payments_stuck_are_exactly_n_in_status_2_older_than_6_hours(count):
    seed, _fleet = seed_of(healthy(payments_stuck=count), 'bm01')
    stuck = [row for row in seed.rows('payment') if row['status'] == dbseed.PAY_IN_PAY]
    assert len(stuck) == count
    assert all(row['createdate'] < NOW - timedelta(hours=6) for row in stuck)
    methods = {row['id']: row['module'] for row in seed.rows('paymethod')}
    assert {methods[row['paymethod']] for row in stuck} == {'pmpaymaster'}


def test_early_stops_are_suspended_paid_up_services():
    seed, _fleet = seed_of(healthy(early_stop_money=2, early_stop_addon=3), 'bm01')
    items = {row['id']: row for row in seed.rows('item')}
    reasons = [stop.reason for stop in seed.early_stops]
    assert reasons == ['not_enough_money'] * 2 + ['stat_addon_over_limit'] * 3
    assert len({stop.item for stop in seed.early_stops}) == 5
    balances = {row['account']: row for row in seed.rows('subaccount')}
    for stop in seed.early_stops:
        item = items[stop.item]
        assert item['status'] == dbseed.SUSPENDED and item['expiredate'] > NOW.date() and item['parent'] is None
        assert stop.item not in seed.active_items
        if stop.reason == 'not_enough_money':
            account = balances[item['account']]
            assert str(account['balance']) == stop.have and account['creditlimit'] == 0
            assert float(stop.amount) - float(stop.have) == pytest.approx(float(stop.deficit))


@pytest.mark.parametrize('drift', [0, 1, 2, 7])
def test_drift_is_exactly_n_items(drift):
    data = pair(drift=drift)
    reseller, fleet = seed_of(data, 'res')
    provider, _fleet = seed_of(data, 'prov')
    assert drift_count(reseller, provider) == drift


def test_drift_agrees_whatever_the_hosts_clocks_say():
    data = pair(drift=3)
    reseller, _fleet = seed_of(data, 'res', now=NOW + timedelta(hours=20))
    provider, _fleet = seed_of(data, 'prov', now=NOW - timedelta(days=2))
    assert drift_count(reseller, provider) == 3


def test_provider_serves_every_reseller_and_keeps_its_own_faults_apart():
    data = pair(drift=2, provider_faults={'early_stop_money': 2}, second_reseller=True)
    provider, _fleet = seed_of(data, 'prov')
    assert drift_count(seed_of(data, 'res')[0], provider) == 2
    assert drift_count(seed_of(data, 'res2')[0], provider) == 1
    reseller_accounts = {row['id'] for row in provider.rows('account') if row['name'].startswith('Reseller ')}
    assert reseller_accounts == {dbseed.RESELLER_ACCOUNT_BASE + 2, dbseed.RESELLER_ACCOUNT_BASE + 3}
    stopped = {stop.item for stop in provider.early_stops}
    assert all(row['account'] not in reseller_accounts for row in provider.rows('item') if row['id'] in stopped)


def test_reseller_imports_plans_and_reaches_its_provider():
    seed, _fleet = seed_of(pair(), 'res')
    imported = [row for row in seed.rows('pricelist') if row['remoteid'] is not None]
    assert imported and all(row['intname'] == f"5-{dbseed.PLANS[row['remoteid'] - 1][0]}" for row in imported)
    assert all(row['syncdate'] < NOW for row in imported)
    modules = {row['id']: row['module'] for row in seed.rows('processingmodule')}
    assert modules[dbseed.RESELLER_MODULE_ID] == 'pmbillmgr'
    linked = [row for row in seed.rows('item') if row['remoteid'] is not None]
    assert all(row['processingmodule'] == dbseed.RESELLER_MODULE_ID for row in linked)
    assert {row['pricelist'] for row in linked} <= {row['id'] for row in imported}
    params = {row['intname']: row['value'] for row in seed.rows('processingparam')}
    assert params['url'] == providerapi.url(_fleet, _fleet.host('res'))
    assert re.fullmatch(r'http://127\.0\.0\.[0-9]+:1580/billmgr', params['url'])
    assert params['username'] == 'reseller-res' and params['password'].startswith(providerapi.API_PASSWORD_MARK)


def test_itemevent_backlog_on_a_reseller_leaves_drift_alone():
    data = pair(drift=2)
    reseller, _fleet = seed_of(data, 'res')
    provider, _fleet = seed_of(data, 'prov')
    events = reseller.rows('itemevent')
    assert len(events) == 4
    assert all(row['createdate'] < NOW for row in events)
    items = {row['id']: row for row in reseller.rows('item')}
    provider_items = {row['id']: row for row in provider.rows('item')}
    for event in events:
        item = items[event['item']]
        remote = provider_items[item['remoteid']]
        assert (event['status'], event['expiredate']) == (remote['status'], remote['expiredate'])
        assert (item['status'], item['expiredate']) == (remote['status'], remote['expiredate'])


def test_itemevent_backlog_setting_on_a_standalone():
    seed, _fleet = seed_of({'hosts': {'bm01': {'itemevent_backlog': 7}}}, 'bm01')
    assert len(seed.rows('itemevent')) == 7
    assert all(row['createdate'] < NOW for row in seed.rows('itemevent'))


def test_sql_literals_escape_quotes_and_backslashes():
    assert dbseed.sql_literal("O'Brien \\ co") == "'O''Brien \\\\ co'"
    assert dbseed.sql_literal(None) == 'NULL'
    assert dbseed.sql_literal(datetime(2026, 1, 2, 3, 4, 5)) == "'2026-01-02 03:04:05'"
    with pytest.raises(TypeError):
        dbseed.sql_literal(True)


def test_schema_has_the_columns_the_runbooks_query():
    schema = dbseed.schema_sql()
    for table, columns in {
        'item': ('id', 'status', 'expiredate', 'processingmodule', 'pricelist', 'remoteid', 'account', 'parent'),
        'itemparam': ('item', 'intname', 'value'), 'pricelist': ('id', 'project', 'intname', 'syncdate'),
        'project': ('id', 'active'), 'account2project': ('account', 'project', 'partner', 'referral'),
        'subaccount': ('account', 'currency', 'balance', 'creditlimit'),
        'processingmodule': ('id', 'name', 'module', 'active'),
        'payment': ('id', 'subaccount', 'paymethod', 'status', 'createdate', 'amount'),
    }.items():
        body = re.search(rf'CREATE TABLE {table} \((.*?)\) ENGINE', schema, re.S).group(1)
        for column in columns:
            assert re.search(rf'(^|[\s,]){column} ', body), (table, column)
    for table in ('promisepayment', 'itemevent', 'account'):
        assert f'CREATE TABLE {table} (' in schema


def test_the_provider_knows_each_resellers_api_account_and_a_refused_one_stores_another_password():
    fleet = parse_scenario({'hosts': {'prov': {'role': 'provider'},
                                      'res': {'role': 'reseller', 'provider': 'prov'},
                                      'bad': {'role': 'reseller', 'provider': 'prov',
                                              'faults': {'provider_api_refuses': True}}}}, 'api.yml')
    state = providerapi.state(fleet, fleet.host('prov'))
    assert state['port'] == providerapi.API_PORT and set(state['users']) == {'reseller-res', 'reseller-bad'}
    assert state['users']['reseller-res']['account'] == dbseed.RESELLER_ACCOUNT_BASE + fleet.host('res').index
    for name, accepted in (('res', True), ('bad', False)):
        stored = providerapi.stored_password(fleet, fleet.host(name))
        assert (stored == state['users']['reseller-' + name]['password']) is accepted
