"""playbooks/debug.yml over the fleet of tests/lab/scenarios/debug.yml: windows opened, kept, closed
by the controller, and closed by each host's own reverter from cron while the controller does nothing.

The tests run in file order and each leaves the fleet as the scenario made it (bm02 with its
operator's `billmgr.* 4`), so every one starts from the same original debug.conf files.
"""

import json
import os
import re
import stat
import subprocess
import threading
import time

import pytest

from conftest import REPO, recap

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'debug.yml'
PLAYBOOK = REPO / 'playbooks' / 'debug.yml'
HOSTS = ('bm01', 'bm02', 'bm03')
MGR = '/usr/local/mgr5'
REVERTER = 'var/billmgr-ops-debug'
CRON_NAME = '#Ansible: billmgr.ops debug reverter %s/%s' % (MGR, REVERTER)
# The host-side package the role ships whole next to the reverter.
HOSTSIDE = REPO / 'plugins' / 'module_utils' / '_hostside'
SHIPPED = tuple('_hostside/' + path.name for path in sorted(HOSTSIDE.glob('*.py')))
# Debian cron starts the reverter at the first full minute after the expiry; a one-minute window
# is closed within about two minutes. Polling stops at this bound so a broken reverter fails.
EXPIRY_WAIT_SECONDS = 200


@pytest.fixture(scope='module')
def fleet(lab_manager):
    lab = lab_manager.get(SCENARIO, fresh=True, cron=True)
    # bm02's operator keeps the billing at warnings: every window must give that line back exactly.
    lab.ssh('bm02', "printf 'billmgr.* 4\\n' >> %s/etc/debug.conf" % MGR)
    originals = {host: conf(lab, host) for host in HOSTS}
    assert b'\nbillmgr.* 4\n' in originals['bm02'] and b'\npmbillmgr.* 4\n' in originals['bm01']
    return lab, originals


def conf(lab, host):
    return lab.host_path(host, 'etc/debug.conf').read_bytes()


def restarts(lab, host):
    return len(json.loads(lab.host_path(host, 'lab/platform.json').read_text())['restarts'])


def crontab(lab, host):
    return lab.ssh(host, 'crontab -l').stdout


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def debug(lab, extra, check=False, limit=','.join(HOSTS), diff=False):
    # debug.yml runs only on servers named with --limit (or debug_hosts).
    proc = lab.playbook(PLAYBOOK, limit=limit, extra_vars=extra, check=check, diff=diff)
    return proc, recap(proc.stdout)


def snapshot(lab):
    """Everything a run may change on the hosts."""
    return {host: (conf(lab, host), restarts(lab, host), crontab(lab, host),
                   lab.host_path(host, REVERTER).exists()) for host in HOSTS}


def run_leaving_hosts_as_they_were(lab, extra, check=False):
    """Run the playbook, assert no host changed in any way; the recap's counts per host."""
    before = snapshot(lab)
    proc, counts = debug(lab, extra, check=check)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert snapshot(lab) == before
    return counts


def open_window(lab, duration):
    """Open a window on billmgr and pmbillmgr; assert levels, reverter and one restart per host.

    Returns each host's restart count from before the run.
    """
    before = {host: restarts(lab, host) for host in HOSTS}
    proc, _counts = debug(lab, {'debug_logs': 'billmgr,pmbillmgr', 'debug_for': duration})
    assert proc.returncode == 0, proc.stdout[-4000:]
    # The restarts roll a batch at a time, as restart.yml's do (25 % of three hosts: one by one).
    assert proc.stdout.count('PLAY [Open or close a debug window') == len(HOSTS), proc.stdout[-3000:]
    for host in HOSTS:
        assert '%s: billmgr.* at 9 until ' % host in proc.stdout
        text = conf(lab, host).decode()
        assert '\nbillmgr.* 9\n' in text and '\npmbillmgr.* 9\n' in text, text
        assert CRON_NAME in crontab(lab, host)
        assert restarts(lab, host) == before[host] + 1
    return before


def assert_closed(lab, originals, host):
    assert conf(lab, host) == originals[host], conf(lab, host).decode()
    assert CRON_NAME not in crontab(lab, host)
    assert not lab.host_path(host, REVERTER).exists()


def test_check_mode_on_untouched_hosts_shows_changes_and_makes_none(fleet):
    lab, _originals = fleet
    counts = run_leaving_hosts_as_they_were(lab, {'debug_logs': 'billmgr,pmbillmgr', 'debug_for': '30m'}, check=True)
    assert all(counts[host]['changed'] > 0 for host in HOSTS), counts
    assert not lab.host_path('bm01', 'etc/.debug.conf.lock').exists()


def test_check_and_diff_show_the_debug_conf_change_not_the_reverters_source(fleet):
    lab, _originals = fleet
    proc, _counts = debug(lab, {'debug_logs': 'billmgr', 'debug_for': '30m'}, check=True, diff=True, limit='bm01')
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert '+billmgr.* 9' in proc.stdout
    source = (REPO / 'roles' / 'debug_window' / 'files' / 'billmgr_debug_reverter.py').read_text()
    shipped = (REPO / 'plugins' / 'module_utils' / '_hostside' / 'debugconf.py').read_text()
    for text in (source, shipped):
        longest = max(text.splitlines(), key=len).strip()
        assert longest not in proc.stdout, longest
    assert len(proc.stdout.splitlines()) < 400, len(proc.stdout.splitlines())


def test_a_run_without_a_limit_is_refused_before_anything(fleet):
    lab, _originals = fleet
    before = snapshot(lab)
    proc, _counts = debug(lab, {'debug_logs': 'billmgr'}, limit=None)
    assert proc.returncode != 0
    assert 'debug.yml changes the servers it runs on, so it runs only on servers you name' in proc.stdout + proc.stderr
    assert snapshot(lab) == before


def test_a_bad_duration_is_named_once_with_its_value(fleet):
    lab, _originals = fleet
    before = snapshot(lab)
    proc, _counts = debug(lab, {'debug_logs': 'billmgr', 'debug_for': '30 minutes'})
    assert proc.returncode != 0
    message = "debug_for (billmgr_debug_window_for) must be a duration such as 30m, 2h, 1h30m, 24h, 7d or 1w (got '30 minutes')"
    # Once for the run (Ansible shows a failure as an error line and the result), not per host.
    fatal = [line for line in proc.stdout.splitlines() if line.startswith('fatal: [')]
    assert len(fatal) == 1 and message in fatal[0], proc.stdout[-3000:]
    assert 'debug_state' not in proc.stdout and 'argument_spec' not in proc.stdout
    assert snapshot(lab) == before


def test_opening_raises_the_levels_restarts_once_and_leaves_a_reverter(fleet):
    lab, originals = fleet
    open_window(lab, '30m')
    for host in HOSTS:
        assert conf(lab, host).decode().count('# billmgr.ops managed: log=') == 2
        # One window, one end: logs raised a second apart must not expire in two cron runs.
        ends = set(re.findall(r'expires=(\S+)', conf(lab, host).decode()))
        assert len(ends) == 1, ends
        directory = lab.host_path(host, REVERTER)
        assert mode(directory) == 0o700
        assert mode(directory / 'billmgr_debug_reverter.py') == 0o700
        assert mode(directory / '_hostside') == 0o700
        assert sorted(os.listdir(directory / '_hostside')) == sorted(name.split('/')[1] for name in SHIPPED)
        for name in SHIPPED + ('window-start',):
            assert mode(directory / name) == 0o600, name
        assert mode(lab.host_path(host, 'var/billmgr-ops-debug.log')) == 0o600
        assert mode(lab.host_path(host, 'etc/.debug.conf.lock')) == 0o600
    assert 'managed: log=billmgr module=* previous=4 ' in conf(lab, 'bm02').decode()
    assert 'managed: log=billmgr module=* previous=none ' in conf(lab, 'bm01').decode()
    # Only the two entries (and their markers) differ from the original; every other line stays.
    kept = [line for line in conf(lab, 'bm01').splitlines(True)
            if not line.startswith(b'# billmgr.ops managed:') and line != b'billmgr.* 9\n']
    assert b''.join(kept) == originals['bm01'].replace(b'pmbillmgr.* 4\n', b'pmbillmgr.* 9\n')


def test_a_second_opening_changes_nothing(fleet):
    lab, _originals = fleet
    counts = run_leaving_hosts_as_they_were(lab, {'debug_logs': ['billmgr', 'pmbillmgr'], 'debug_for': '30m'})
    assert all(counts[host]['changed'] == 0 for host in HOSTS), counts


def test_check_mode_on_an_open_window_changes_nothing(fleet):
    lab, _originals = fleet
    counts = run_leaving_hosts_as_they_were(lab, {'debug_logs': 'billmgr,pmbillmgr', 'debug_for': '30m'}, check=True)
    assert all(counts[host]['changed'] == 0 for host in HOSTS), counts


def test_check_mode_of_closing_shows_changes_and_makes_none(fleet):
    lab, _originals = fleet
    counts = run_leaving_hosts_as_they_were(lab, {'debug_logs': 'billmgr,pmbillmgr', 'debug_state': 'absent'},
                                            check=True)
    assert all(counts[host]['changed'] > 0 for host in HOSTS), counts


def test_closing_restores_the_files_restarts_once_and_collects_the_threads(fleet, tmp_path):
    lab, originals = fleet
    # An error inside the window on each host: the platform logs the query and the error in one thread.
    for host in HOSTS:
        lab.ssh(host, '%s/sbin/mgrctl -m billmgr debugwindow.no.such.func' % MGR, check=False)
    before = {host: restarts(lab, host) for host in HOSTS}
    reports = tmp_path / 'debug-reports'
    proc, counts = debug(lab, {'debug_logs': 'billmgr, pmbillmgr', 'debug_state': 'absent',
                               'debug_collect': 'true', 'billmgr_debug_window_collect_dir': str(reports)})
    assert proc.returncode == 0, proc.stdout[-4000:]
    for host in HOSTS:
        assert_closed(lab, originals, host)
        assert restarts(lab, host) == before[host] + 1
        threads = list((reports / host).glob('*-threads.txt'))
        records = list((reports / host).glob('*-errors.json'))
        assert len(threads) == len(records) == 1, sorted((reports / host).iterdir())
        data = json.loads(records[0].read_text())
        ours = [m for m in data['matches'] if 'debugwindow.no.such.func' in m['message']]
        assert ours, data['matches']
        # The thread of the error holds the query that caused it, logged at a level only debug shows.
        assert any("Query('func=debugwindow.no.such.func" in line for line in ours[0]['context']), ours[0]
        text = threads[0].read_text()
        assert "Error: Type: 'missed' Object: 'function' Value: 'debugwindow.no.such.func'" in text
        assert "rpc EXTINFO Query('func=debugwindow.no.such.func" in text
        assert mode(records[0]) == 0o600
        # The run ends saying, per host, what it put back and where the threads went.
        assert '%s: billmgr.*: put back; pmbillmgr.*: put back. Error threads of the window: %s.' % (
            host, threads[0]) in proc.stdout, proc.stdout[-3000:]


def test_closing_again_changes_nothing(fleet):
    lab, _originals = fleet
    counts = run_leaving_hosts_as_they_were(lab, {'debug_logs': 'billmgr,pmbillmgr', 'debug_state': 'absent'})
    assert all(counts[host]['changed'] == 0 for host in HOSTS), counts


def test_each_host_closes_its_window_on_its_own_when_it_expires(fleet):
    lab, originals = fleet
    before = open_window(lab, '1m')
    # From here on the controller does nothing but look.
    deadline = time.monotonic() + EXPIRY_WAIT_SECONDS
    waiting = set(HOSTS)
    while waiting and time.monotonic() < deadline:
        waiting = {host for host in waiting
                   if conf(lab, host) != originals[host] or lab.host_path(host, REVERTER).exists()}
        if waiting:
            time.sleep(2)
    assert not waiting, 'still open after %ss: %s' % (EXPIRY_WAIT_SECONDS, {
        host: conf(lab, host).decode() for host in waiting})
    for host in HOSTS:
        assert_closed(lab, originals, host)
        assert restarts(lab, host) == before[host] + 2, (
            'the reverter must restart exactly once', lab.host_path(host, 'var/billmgr-ops-debug.log').read_text())
        log = lab.host_path(host, 'var/billmgr-ops-debug.log').read_text()
        assert 'billmgr.* (level 9, expired' in log and 'removed itself' in log, log


def test_ihttpd_without_a_service_manager_is_reported_not_restarted(fleet):
    lab, originals = fleet
    before = restarts(lab, 'bm01')
    proc, _counts = debug(lab, {'debug_logs': 'ihttpd', 'debug_for': '30m'}, limit='bm01')
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert b'\nihttpd.* 9\n' in conf(lab, 'bm01')
    assert 'no ihttpd service that Ansible can restart' in proc.stdout
    assert restarts(lab, 'bm01') == before, 'a platform restart does not reach ihttpd'
    proc, _counts = debug(lab, {'debug_logs': 'ihttpd', 'debug_state': 'absent'}, limit='bm01')
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert_closed(lab, originals, 'bm01')
    assert restarts(lab, 'bm01') == before


def test_a_bad_log_name_is_refused_before_any_host_changes(fleet):
    lab, _originals = fleet
    before = snapshot(lab)
    proc, _counts = debug(lab, {'debug_logs': 'billmgr,../../etc/passwd'})
    assert proc.returncode != 0
    assert 'debug_logs (billmgr_debug_window_logs) must be log names as the platform writes them' in proc.stdout
    assert snapshot(lab) == before


# A careless writer of debug.conf that does take the lock: it reads the file, says so, waits for its
# stdin to close, then writes back what it read plus one line. Had debug_level not waited for the
# lock, its change would be lost in that write.
SLOW_WRITER = r'''
import fcntl, os, sys
conf = '/usr/local/mgr5/etc/debug.conf'
fd = os.open('/usr/local/mgr5/etc/.debug.conf.lock', os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
data = open(conf, 'rb').read()
print('held %d' % os.getpid(), flush=True)
sys.stdin.read()
with open(conf, 'wb') as handle:
    handle.write(data + b'# written by a slow writer\n')
'''
OTHERS_WITH_THE_LOCK_OPEN = (
    'for p in /proc/[0-9]*; do [ "${p#/proc/}" = "%d" ] && continue; '
    'ls -l "$p/fd" 2>/dev/null | grep -q "etc/.debug.conf.lock" && echo "${p#/proc/}"; done; true')


def test_a_run_waits_for_another_writer_and_loses_nothing(fleet):
    lab, originals = fleet
    host = 'bm03'
    argv = ['ssh', '-i', lab.key, '-p', str(lab.state['ssh_port']), '-o', 'BatchMode=yes',
            '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
            'root@' + lab.address(host), 'python3 -c %s' % subprocess.list2cmdline([SLOW_WRITER])]
    writer = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    outcome = {}
    try:
        line = writer.stdout.readline()
        assert line.startswith('held '), line
        writer_pid = int(line.split()[1])
        run = threading.Thread(target=lambda: outcome.update(proc=debug(lab, {'debug_logs': 'billmgr'},
                                                                        limit=host)[0]))
        run.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.is_alive():
            if lab.ssh(host, OTHERS_WITH_THE_LOCK_OPEN % writer_pid).stdout.strip():
                break
            time.sleep(0.5)
        assert run.is_alive(), 'the run finished while another writer held the lock'
    finally:
        writer.stdin.close()
        writer.wait(timeout=60)
    run.join(timeout=600)
    proc = outcome['proc']
    assert proc.returncode == 0, proc.stdout[-4000:]
    text = conf(lab, host).decode()
    assert '# written by a slow writer\n' in text and '\nbillmgr.* 9\n' in text, text
    # Back to the scenario's file: close the window, then drop the writer's line.
    proc, _counts = debug(lab, {'debug_logs': 'billmgr', 'debug_state': 'absent'}, limit=host)
    assert proc.returncode == 0, proc.stdout[-4000:]
    lab.ssh(host, "sed -i '/^# written by a slow writer$/d' %s/etc/debug.conf" % MGR)
    assert_closed(lab, originals, host)
