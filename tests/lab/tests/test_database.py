"""The seed in a real throwaway MariaDB, and the stand-in functions that change it."""

from __future__ import annotations

import os
import re
import stat
import sys
from datetime import date, timedelta

import pytest
from labtest import LAB, one_host_scenario, query

from billmgr_lab import dbseed, hosttree, mariadb

ROW_TABLES = ('item', 'payment', 'pricelist', 'itemevent', 'subaccount')


def snapshot(server, built) -> dict:
    return {table: {row[0]: row for row in query(server, built, f'SELECT * FROM {table} ORDER BY id')}
            for table in ROW_TABLES}


def changed_rows(before: dict, after: dict) -> dict:
    diff = {}
    for table in ROW_TABLES:
        ids = set(before[table]) | set(after[table])
        rows = sorted(row_id for row_id in ids if before[table].get(row_id) != after[table].get(row_id))
        if rows:
            diff[table] = rows
    return diff


def test_seed_loads_with_every_row(mariadb_server, db_host):
    built = db_host(one_host_scenario(faults={'payments_stuck': 3}))
    seed = dbseed.build_seed(built.spec, built.fleet, hosttree.host_clock(built.spec)[0])
    for table in dbseed.TABLES:
        count = int(query(mariadb_server, built, f'SELECT COUNT(*) FROM {table}')[0][0])
        assert count == len(seed.rows(table)), table
    stuck = query(mariadb_server, built, 'SELECT COUNT(*) FROM payment WHERE status = 2 '
                                         'AND createdate < NOW() - INTERVAL 6 HOUR')
    assert stuck == [['3']]


def test_drift_between_two_databases_is_exactly_n(mariadb_server, db_host):
    data = {'hosts': {'prov': {'role': 'provider'},
                      'res': {'role': 'reseller', 'provider': 'prov', 'faults': {'drift': 3}}}}
    provider = db_host(data, name='prov')
    reseller = db_host(data, name='res')
    rows = mariadb_server.sql(
        f'SELECT COUNT(*), SUM(r.status <> p.status OR r.expiredate <> p.expiredate) '
        f'FROM `{reseller.plan.db.name}`.item r JOIN `{provider.plan.db.name}`.item p ON p.id = r.remoteid')
    linked, drifted = rows.split()
    assert int(linked) == 11 and int(drifted) == 3


def test_checkpay_pays_exactly_the_payments_in_status_2(mariadb_server, db_host):
    built = db_host(one_host_scenario(faults={'payments_stuck': 2}))
    before = snapshot(mariadb_server, built)
    stuck = sorted(row_id for row_id, row in before['payment'].items() if row[3] == '2')
    assert len(stuck) == 2
    result = built.mgrctl('paymethod.checkpay')
    assert (result.returncode, result.stdout) == (0, 'OK\n'), result.stderr
    after = snapshot(mariadb_server, built)
    assert changed_rows(before, after) == {'payment': stuck}
    assert all(after['payment'][row_id][3] == '4' and after['payment'][row_id][5] != 'NULL' for row_id in stuck)
    module_log = built.text('var/pmpaymaster.log').splitlines()[-2:]
    assert [line.split('Payment ')[1].split(':')[0] for line in module_log] == stuck
    # A payment module is a script: `[PID]` without a thread, the day padded with a zero.
    assert all(re.match(r'^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \[\d+\] pmpaymaster INFO ', line) for line in module_log)
    assert 'in pay -> paid' in built.text('var/billmgr.log').splitlines()[-1]
    again = snapshot(mariadb_server, built)
    assert built.mgrctl('paymethod.checkpay').returncode == 0
    assert changed_rows(again, snapshot(mariadb_server, built)) == {}


def test_checkevent_applies_and_deletes_every_event(mariadb_server, db_host):
    built = db_host(one_host_scenario(itemevent_backlog=3))
    target = query(mariadb_server, built, 'SELECT id FROM item WHERE status = 2 AND parent IS NULL '
                                          'ORDER BY id DESC LIMIT 1')[0][0]
    later = (date.today() + timedelta(days=400)).isoformat()
    mariadb_server.sql(f"INSERT INTO itemevent (item, status, expiredate, createdate) VALUES "
                       f"({target}, 3, NULL, NOW()), ({target}, NULL, '{later}', NOW())", built.plan.db.name)
    before = snapshot(mariadb_server, built)
    assert len(before['itemevent']) == 5
    result = built.mgrctl('checkevent')
    assert result.returncode == 0, result.stdout + result.stderr
    after = snapshot(mariadb_server, built)
    assert after['itemevent'] == {}
    assert changed_rows(before, after) == {'item': [target], 'itemevent': sorted(before['itemevent'])}
    assert (after['item'][target][3], after['item'][target][4]) == ('3', later)
    assert 'applied to item' in built.text('var/billmgr.log')
    assert built.mgrctl('checkevent').returncode == 0


def test_checkevent_on_a_reseller_keeps_the_drift(mariadb_server, db_host):
    data = {'hosts': {'prov': {'role': 'provider'},
                      'res': {'role': 'reseller', 'provider': 'prov', 'faults': {'drift': 2}}}}
    provider = db_host(data, name='prov')
    reseller = db_host(data, name='res')
    drift_sql = (f'SELECT SUM(r.status <> p.status OR r.expiredate <> p.expiredate) FROM '
                 f'`{reseller.plan.db.name}`.item r JOIN `{provider.plan.db.name}`.item p ON p.id = r.remoteid')
    assert mariadb_server.sql(drift_sql).strip() == '2'
    assert reseller.mgrctl('checkevent').returncode == 0
    assert query(mariadb_server, reseller, 'SELECT COUNT(*) FROM itemevent') == [['0']]
    assert mariadb_server.sql(drift_sql).strip() == '2'


def test_pricelist_sync_touches_only_its_plan(mariadb_server, db_host):
    built = db_host()
    before = snapshot(mariadb_server, built)
    days = {date.today().isoformat()}
    assert built.mgrctl('pricelist.sync', 'elid=2').returncode == 0
    days.add(date.today().isoformat())  # the sync may fall either side of midnight
    after = snapshot(mariadb_server, built)
    assert changed_rows(before, after) == {'pricelist': ['2']}
    assert after['pricelist']['2'][-1][:10] in days
    unknown = built.mgrctl('pricelist.sync', 'elid=999')
    assert unknown.returncode != 0 and unknown.stdout == 'ERROR missed(pricelist,999)\n'
    missing = built.mgrctl('pricelist.sync')
    assert missing.returncode != 0 and missing.stdout == 'ERROR missed(elid)\n'
    bad = built.mgrctl('-o', 'xml', 'pricelist.sync', 'elid=1;DROP')
    assert bad.returncode != 0 and 'type="value"' in bad.stdout
    assert changed_rows(after, snapshot(mariadb_server, built)) == {}


@pytest.mark.parametrize('func, marker', [
    ('service.billdaily', "Query('func=service.billdaily&item={item}&from=daily')"),
    ('service.statdaily', "Query('func=service.statdaily&item={item}&from=daily')"),
])
def test_billmaintain_functions_write_a_line_per_active_item(mariadb_server, db_host, func, marker):
    built = db_host()
    log = built.root / 'var' / 'billmaintain.log'
    before = log.read_text()
    active = [row[0] for row in query(mariadb_server, built,
                                      'SELECT id FROM item WHERE status = 2 AND parent IS NULL ORDER BY id')]
    unchanged = snapshot(mariadb_server, built)
    assert built.mgrctl(func).returncode == 0
    added = log.read_text()[len(before):]
    for item in active:
        assert marker.format(item=item) in added
    assert added.count('&item=') == len(active)
    assert changed_rows(unchanged, snapshot(mariadb_server, built)) == {}


def test_autosuspend_lists_expired_active_items(mariadb_server, db_host):
    built = db_host()
    item = query(mariadb_server, built, 'SELECT id FROM item WHERE status = 2 AND parent IS NULL LIMIT 1')[0][0]
    mariadb_server.sql(f'UPDATE item SET expiredate = CURDATE() - INTERVAL 3 DAY WHERE id = {item}',
                       built.plan.db.name)
    log = built.root / 'var' / 'billmaintain.log'
    before = log.read_text()
    assert built.mgrctl('service.autosuspend').returncode == 0
    added = log.read_text()[len(before):]
    assert f"func=service.autosuspend&item={item}'" in added and added.count('&item=') == 1


def test_maintenance_mode_changes_nothing(mariadb_server, db_host):
    built = db_host(one_host_scenario(faults={'maintenance_mode': True, 'payments_stuck': 2}, itemevent_backlog=2))
    before = snapshot(mariadb_server, built)
    for call in (('paymethod.checkpay',), ('checkevent',), ('pricelist.sync', 'elid=1')):
        assert built.mgrctl(*call).returncode == 0
    assert changed_rows(before, snapshot(mariadb_server, built)) == {}
    assert 'billmgr.DoNothing is present' in built.text('var/billmgr.log').splitlines()[-1]


def test_unreachable_database_is_an_error(build_host, tmp_path):
    db = hosttree.DbSettings(password='x', socket=str(tmp_path / 'no-server.sock'))
    built = build_host(db=db)
    result = built.mgrctl('paymethod.checkpay')
    assert result.returncode != 0 and result.stdout == 'ERROR mysql(billmgr)\n'
    assert 'db ERROR Query failed' in built.text('var/billmgr.log').splitlines()[-2]
    assert built.mgrctl('whoami').returncode == 0


def test_password_goes_through_a_0600_option_file_never_argv(build_host, monkeypatch):
    built = build_host(db=hosttree.DbSettings(password='Top"Secret\\pw'))
    sys.path.insert(0, str(LAB / 'stand_ins'))
    try:
        import labhost
    finally:
        sys.path.remove(str(LAB / 'stand_ins'))
    seen = {}

    def fake_run(argv, **kwargs):
        option_file = argv[1].split('=', 1)[1]
        seen.update(argv=argv, mode=stat.S_IMODE(os.stat(option_file).st_mode),
                    text=open(option_file).read(), file=option_file, stdin=kwargs.get('input'))
        return labhost.subprocess.CompletedProcess(argv, 0, b'1\n', b'')

    monkeypatch.setattr(labhost.subprocess, 'run', fake_run)
    assert labhost.Host(str(built.root)).sql('SELECT 1;') == [['1']]
    assert not any('Top' in arg for arg in seen['argv'])
    assert seen['argv'][1].startswith('--defaults-extra-file=') and seen['argv'][-1] == 'billmgr'
    assert seen['mode'] == 0o600 and 'password="Top\\"Secret\\\\pw"' in seen['text']
    assert not os.path.exists(seen['file']) and seen['stdin'] == b'SELECT 1;'


def test_server_stop_is_safe_twice_and_command_is_namespace_ready(tmp_path):
    server = mariadb.MariaDBServer(tmp_path / 'db')
    argv = server.command()
    for flag in ('--no-defaults', '--skip-networking', f'--socket={server.socket}',
                 f'--datadir={server.datadir}', f'--pid-file={server.pid_file}'):
        assert flag in argv
    assert argv[1] == '--no-defaults'
    server.install()
    server.install()  # already there: nothing to do
    server.start()
    assert server.sql('SELECT 1').strip() == '1'
    server.stop()
    server.stop()
    assert not server.answers()
    with pytest.raises(mariadb.MariaDBError, match='socket path'):
        mariadb.MariaDBServer(tmp_path / ('x' * 120))


def test_sql_errors_carry_the_server_message(mariadb_server):
    with pytest.raises(mariadb.MariaDBError, match='doesn.t exist|Unknown'):
        mariadb_server.sql('SELECT * FROM no_such_table', 'mysql')


def test_create_host_database_refuses_odd_names(mariadb_server):
    for db in (hosttree.DbSettings(name='bill-mgr'), hosttree.DbSettings(user="x' OR 1")):
        with pytest.raises(mariadb.MariaDBError, match='letters, digits and underscores'):
            mariadb.create_host_database(mariadb_server.sql, db, '', '')
