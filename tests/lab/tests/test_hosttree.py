"""build_host: the tree, the lab state and the HostPlan for a healthy host and for each fault."""

from __future__ import annotations

import json
import re
import stat
import sys
from datetime import datetime, timedelta

import pytest
from labtest import one_host_scenario

from billmgr_lab import hosttree

NOW = datetime(2026, 6, 15, 12, 30, 0)
PROGRAMS = ('sbin/mgrctl', 'sbin/licctl', 'sbin/ihttpd', 'sbin/cron-billmgr', 'bin/core', 'lab/boot')


def faulty(build_host, **faults):
    return build_host(one_host_scenario(faults=faults), now=NOW)


def test_healthy_host_tree_and_plan(build_host):
    built = build_host(now=NOW)
    root, plan = built.root, built.plan
    assert root == built.plan.mgr_root and root.name == 'mgr5'
    for program in PROGRAMS:
        path = root / program
        assert path.read_text().startswith('#!/usr/bin/python3\n'), program
        assert path.stat().st_mode & stat.S_IXUSR, program
        assert '/usr/local/mgr5' not in path.read_text(), program
    for module in hosttree.LIBRARY:
        assert (root / 'lib' / 'lab' / module).is_file()
    assert 'ID: ' not in (root / 'etc' / 'billmgr.lic').read_text()
    assert not (root / 'etc' / 'billmgr.DoNothing').exists()
    assert (root / 'etc' / 'billmgr.conf').is_file()
    assert (root / 'var' / 'run').is_dir()
    assert plan.os_release.startswith('NAME="AlmaLinux"\n') and 'VERSION_ID="9.4"' in plan.os_release
    # Runbook 001's shape: its comment line, then a tab between the schedule and the command.
    assert plan.crontab.splitlines()[-2:] == [
        '## BILLmanager get item events from remote BILLmanager',
        '*/5 * * * *\t/usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1']
    assert (plan.clock_skew, plan.var_used_pct, plan.var_inodes_pct, plan.db_up) == (0, None, None, True)
    assert 'CREATE TABLE item' in plan.schema_sql and 'INSERT INTO `item`' in plan.seed_sql
    assert 'Got' not in built.text('var/licctl.log')
    assert built.state() == {'up': True, 'blocked': False, 'broken': False, 'restarts': [], 'restart_until': 0}
    settings = built.state('settings')
    assert (settings['restart_delay'], settings['hang'], settings['restart_fails']) == (2.0, False, False)
    lic = built.state('license')
    assert lic['id'] > 0 and lic['expire'] > NOW.date().isoformat()
    assert built.state('host')['name'] == 'bm01'


def test_debug_conf_of_a_healthy_host(build_host):
    text = build_host(now=NOW).text('etc/debug.conf')
    lines = text.splitlines()
    assert lines[0].startswith('#')
    for line in ('SET color=off', '* 6', '*.db 6', 'pmbillmgr.* 4'):
        assert line in lines
    assert not re.search(r'\.\* 9$', text, re.M)


def test_db_conf_is_isp_config_form_and_mode_0600(build_host):
    db = hosttree.DbSettings(name='billmgr_x', user='bm_x', password='S3cr3t-pw')
    built = build_host(db=db, now=NOW)
    path = built.root / 'etc' / 'billmgr.conf.d' / 'db.conf'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == 'DBHost localhost\nDBUser bm_x\nDBPassword S3cr3t-pw\nDBName billmgr_x\n'
    assert stat.S_IMODE((built.root / 'etc' / 'billmgr.lic').stat().st_mode) == 0o600


def test_the_db_password_is_only_in_db_conf(build_host):
    built = build_host(db=hosttree.DbSettings(password='UniquePassword-42'), now=NOW)
    holders = [path.relative_to(built.root).as_posix() for path in built.root.rglob('*')
               if path.is_file() and b'UniquePassword-42' in path.read_bytes()]
    assert holders == ['etc/billmgr.conf.d/db.conf']


def test_license_unlinked(build_host):
    built = faulty(build_host, license_unlinked=True)
    assert not (built.root / 'etc' / 'billmgr.lic').exists()
    assert built.state('license')['id'] == 0
    assert 'No license is linked' in built.text('var/licctl.log')


def test_license_expiring_and_expired(build_host):
    assert faulty(build_host, license_expiring=9).state('license')['expire'] == '2026-06-24'
    expired = faulty(build_host, license_expired=True)
    assert expired.state('license')['expire'] == '2026-06-03'
    assert 'expired on 2026-06-03' in expired.text('var/licctl.log')


def test_trial_used_writes_a_got_line(build_host):
    got = [line for line in faulty(build_host, trial_used=True).text('var/licctl.log').splitlines() if 'Got' in line]
    assert len(got) == 1
    assert re.fullmatch(r'Jun  [56] \d\d:\d\d:\d\d \[\d+:1\] licctl INFO Got trial license ID \d+ for billmgr, '
                        r'expire 2026-06-(19|20)', got[0])


@pytest.mark.parametrize('value, expected', [
    (True, ('ID="centos"', 'VERSION_ID="7"', 'PRETTY_NAME="CentOS Linux 7 (Core)"', 'NAME="CentOS Linux"')),
    ({'id': 'ubuntu', 'version_id': '18.04', 'pretty_name': 'Ubuntu 18.04.6 LTS'},
     ('ID="ubuntu"', 'VERSION_ID="18.04"', 'PRETTY_NAME="Ubuntu 18.04.6 LTS"', 'NAME="Ubuntu"')),
])
def test_os_unsupported(build_host, value, expected):
    text = faulty(build_host, os_unsupported=value).plan.os_release
    for line in expected:
        assert line in text.splitlines()
    assert 'almalinux' not in text


def test_plan_numbers_for_clock_disk_inodes_and_db(build_host):
    plan = faulty(build_host, clock_skew=-300, disk_pressure=93, inode_pressure=True, db_down=True).plan
    assert (plan.clock_skew, plan.var_used_pct, plan.var_inodes_pct, plan.db_up) == (-300, 93, 98, False)


def test_state_faults(build_host):
    built = faulty(build_host, platform_down=True, mgrctl_hang=True, restart_fails=True, license_fetch_fails=True)
    assert built.state()['up'] is False
    settings = built.state('settings')
    assert settings['hang'] and settings['restart_fails'] and settings['license_fetch_fails']


def test_maintenance_mode(build_host):
    assert (faulty(build_host, maintenance_mode=True).root / 'etc' / 'billmgr.DoNothing').is_file()


def test_checkevent_every_n_minutes(build_host):
    hourly = build_host(one_host_scenario(checkevent_minutes=60), now=NOW).plan.crontab
    assert hourly.splitlines()[-1].startswith('0 * * * *\t')
    slow = build_host(one_host_scenario(checkevent_minutes=15), now=NOW).plan.crontab
    assert slow.splitlines()[-1].startswith('*/15 * * * *\t')


def test_schema_variant_and_gateway(build_host):
    built = build_host(one_host_scenario(schema='minimal', payments_abandoned=2), now=NOW)
    assert 'CREATE TABLE payment' not in built.plan.schema_sql
    assert 'CREATE TABLE itemevent (\n  id INT' in built.plan.schema_sql
    assert json.loads(built.text('lab/gateway.json')) == {'paid': []}


def test_checkevent_missing_and_wrapper_form(build_host):
    assert 'checkevent' not in faulty(build_host, checkevent_missing=True).plan.crontab
    wrapper = build_host(one_host_scenario(checkevent_form='wrapper'), now=NOW).plan.crontab
    assert '*/5 * * * *\t/usr/local/mgr5/sbin/cron-billmgr sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1' \
        in wrapper.splitlines()


@pytest.mark.parametrize('value, present, absent', [
    (True, 'billmgr.* 9', None),
    ('pmvmmgr6', 'pmvmmgr6.* 9', 'billmgr.* 9'),
    ('pmbillmgr', 'pmbillmgr.* 9', 'pmbillmgr.* 4'),
])
def test_debug_left_on(build_host, value, present, absent):
    lines = faulty(build_host, debug_left_on=value).text('etc/debug.conf').splitlines()
    assert present in lines
    assert absent not in lines


def test_log_color_sets_debug_conf(build_host):
    assert 'SET color=on' in build_host(one_host_scenario(log_color=True), now=NOW).text('etc/debug.conf')


def test_restart_delay_setting_reaches_the_host(build_host):
    assert build_host(one_host_scenario(restart_delay=0.5), now=NOW).state('settings')['restart_delay'] == 0.5


@pytest.fixture
def captured_plans(monkeypatch):
    from billmgr_lab import loggen
    plans = []
    real = loggen.write_logs

    def capture(var, plan):
        plans.append(plan)
        return real(var, plan)

    monkeypatch.setattr(loggen, 'write_logs', capture)
    return plans


def test_log_plan_follows_settings_and_faults(build_host, captured_plans):
    data = one_host_scenario(faults={'error_burst': 40, 'early_stop_money': 2, 'early_stop_addon': 1},
                             log_size='64K', log_color=True, rotated_archives=3)
    built = build_host(data, now=NOW, seed=9)
    plan = captured_plans[0]
    assert (plan.now, plan.seed, plan.size_bytes, plan.color, plan.rotated_archives, plan.error_burst) == \
        (NOW, 9001, 65536, True, 3, 40)
    assert [stop.reason for stop in plan.early_stops] == ['not_enough_money'] * 2 + ['stat_addon_over_limit']
    assert 'pmpaymaster' in plan.payment_modules and 'pmvmmgr6' in plan.payment_modules
    suspended = {int(row) for row in re.findall(r'\((\d+), \d+, \d+, 3, ', built.plan.seed_sql)}
    assert {stop.item for stop in plan.early_stops} <= suspended


def test_early_stop_items_in_billmaintain_log_are_the_suspended_items(build_host):
    built = build_host(one_host_scenario(faults={'early_stop_money': 1, 'early_stop_addon': 2}), now=NOW)
    from billmgr_lab import dbseed
    seed = dbseed.build_seed(built.spec, built.fleet, NOW)
    items = {row['id']: row for row in seed.rows('item')}
    log = built.text('var/billmaintain.log')
    for stop in seed.early_stops:
        assert items[stop.item]['status'] == dbseed.SUSPENDED
        assert f'func=service.autosuspend&item={stop.item}&stat=on' in log
    assert 'not_enough_money' in log and 'stat_addon_over_limit' in log


def test_year_boundary_moves_the_clock_to_january(build_host, captured_plans):
    built = build_host(one_host_scenario(log_year_boundary=True), now=NOW)
    moved = datetime(2027, 1, 10, 12, 30, 0)
    assert captured_plans[0].now == moved and captured_plans[0].year_boundary is True
    assert built.plan.clock_skew == int((moved - NOW).total_seconds())
    early = build_host(one_host_scenario(name='bm02', log_year_boundary=True), now=datetime(2027, 1, 3, 8, 0))
    assert early.plan.clock_skew == 0


def test_clock_defaults_to_real_time_plus_skew(build_host, captured_plans):
    before = datetime.now() + timedelta(seconds=5400)
    build_host(one_host_scenario(faults={'clock_skew': True}))
    after = datetime.now() + timedelta(seconds=5400)
    assert before.replace(microsecond=0) <= captured_plans[0].now <= after


def test_rebuilding_replaces_the_tree(build_host):
    first = build_host(now=NOW)
    (first.root / 'var' / 'junk.log').write_text('x')
    second = build_host(now=NOW)
    assert second.root == first.root and not (second.root / 'var' / 'junk.log').exists()


def test_refuses_to_delete_a_tree_that_is_not_a_lab_host(tmp_path, build_host):
    other = tmp_path / 'bm01' / 'mgr5'
    other.mkdir(parents=True)
    (other / 'precious').write_text('keep')
    with pytest.raises(FileExistsError, match='not a lab host tree'):
        build_host(now=NOW)
    assert (other / 'precious').read_text() == 'keep'


def test_missing_log_generator_is_a_clear_import_error(build_host, monkeypatch):
    import billmgr_lab
    monkeypatch.setitem(sys.modules, 'billmgr_lab.loggen', None)  # None there makes the import fail
    monkeypatch.delattr(billmgr_lab, 'loggen', raising=False)
    with pytest.raises(ImportError, match='billmgr_lab.loggen is missing: the log generator'):
        build_host(now=NOW)


def test_lab_state_files_are_json(build_host):
    built = build_host(one_host_scenario(faults={'payments_stuck': 2}), now=NOW)
    described = json.loads((built.root / 'lab' / 'host.json').read_text())
    assert described['faults'] == {'payments_stuck': 2} and described['role'] == 'standalone'
