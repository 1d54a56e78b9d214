"""The lab seen as the runbook sees a real server: over SSH, with the platform's own commands."""

import os
import re
import subprocess
import sys
import time

import pytest

from conftest import REPO


def test_each_host_is_its_own_server(lab):
    names, roots, dbs = set(), set(), set()
    for host in lab.hosts:
        assert lab.ssh(host, 'hostname').stdout.strip() == host
        # The mgr root is a bind mount of that host's own tree, not the controller's /usr/local.
        source = lab.ssh(host, 'findmnt -no SOURCE /usr/local/mgr5').stdout.strip()
        assert lab.hosts[host]['mgr_root'] in source
        roots.add(source)
        dbs.add(lab.ssh(host, 'grep -h "^DBPassword" /usr/local/mgr5/etc/billmgr.conf.d/db.conf').stdout)
        names.add(host)
    assert len(roots) == len(names) == len(dbs)


@pytest.mark.parametrize('host', ['bm01', 'bm02'])
def test_platform_tools_answer(lab, host):
    assert lab.ssh(host, 'licctl info billmgr').stdout.startswith('ID: ')
    whoami = lab.ssh(host, '/usr/local/mgr5/sbin/mgrctl -m billmgr whoami')
    assert 'ERROR' not in whoami.stdout
    # The host's own database, reached with the credentials of the platform's own config.
    query = ('set -e; f=/usr/local/mgr5/etc/billmgr.conf.d/db.conf; v() { awk -v k=$1 \'$1==k {print $2}\' $f; }; '
             'printf "[client]\\nuser=%s\\npassword=%s\\n" "$(v DBUser)" "$(v DBPassword)" > /tmp/my.cnf; '
             'mysql --defaults-extra-file=/tmp/my.cnf -N -B "$(v DBName)" -e "SELECT COUNT(*) FROM item"; '
             'rm -f /tmp/my.cnf')
    assert int(lab.ssh(host, query).stdout.strip()) > 0


def test_processes_of_a_host_are_its_own(lab):
    up = lab.ssh('bm01', 'pgrep -x core; pgrep -x ihttpd', check=False).stdout.split()
    assert len(up) == 2
    down = lab.ssh('bm04', 'pgrep -x core', check=False)
    assert down.returncode == 1, 'platform_down host must not run core'


def test_unlinked_license_shows_id_zero(lab):
    assert lab.ssh('bm02', 'licctl info billmgr').stdout.splitlines()[0] == 'ID: 0'
    assert lab.ssh('bm01', 'licctl info billmgr').stdout.splitlines()[0] != 'ID: 0'


def test_platform_down_makes_mgrctl_fail(lab):
    proc = lab.ssh('bm04', '/usr/local/mgr5/sbin/mgrctl -m billmgr whoami', check=False)
    assert proc.returncode != 0
    assert re.search(r'^ERROR \w+\(', proc.stdout + proc.stderr, re.M)


def test_inode_pressure_shows_in_df(lab):
    line = lab.ssh('bm03', 'df -i /usr/local/mgr5/var | tail -1').stdout.split()
    assert int(line[4].rstrip('%')) >= 95
    healthy = lab.ssh('bm01', 'df -i /usr/local/mgr5/var | tail -1').stdout.split()
    assert int(healthy[4].rstrip('%')) < 90


def test_disk_pressure_shows_in_df(lab):
    line = lab.ssh('bm05', 'df -hT /usr/local/mgr5/var | tail -1').stdout.split()
    assert line[1] == 'tmpfs'
    assert int(line[5].rstrip('%')) >= 95


def test_unsupported_os_and_clock_skew(lab):
    assert 'CentOS' in lab.ssh('bm03', 'cat /etc/os-release').stdout
    assert 'AlmaLinux' in lab.ssh('bm01', 'cat /etc/os-release').stdout
    skewed = int(lab.ssh('bm03', 'date +%s').stdout)
    assert abs(skewed - time.time() - 5400) < 120
    assert abs(int(lab.ssh('bm01', 'date +%s').stdout) - time.time()) < 60


def test_crontab_forms(lab):
    assert re.search(r'^\*/5 .*/usr/local/mgr5/sbin/mgrctl -m billmgr checkevent',
                     lab.ssh('bm01', 'crontab -l').stdout, re.M)
    assert 'cron-billmgr sbin/mgrctl -m billmgr checkevent' in lab.ssh('bm02', 'crontab -l').stdout
    assert 'checkevent' not in lab.ssh('bm05', 'crontab -l', check=False).stdout


def test_debug_left_on_and_maintenance(lab):
    assert re.search(r'^billmgr\.\* 9\s*$', lab.ssh('bm04', 'cat /usr/local/mgr5/etc/debug.conf').stdout, re.M)
    assert not re.search(r'^billmgr\.\* 9', lab.ssh('bm01', 'cat /usr/local/mgr5/etc/debug.conf').stdout, re.M)
    assert lab.ssh('bm05', 'test -e /usr/local/mgr5/etc/billmgr.DoNothing', check=False).returncode == 0
    assert lab.ssh('bm01', 'test -e /usr/local/mgr5/etc/billmgr.DoNothing', check=False).returncode == 1


def test_error_burst_is_in_the_log(lab):
    text = lab.ssh('bm02', 'grep -c " ERROR " /usr/local/mgr5/var/billmgr.log').stdout
    assert int(text) >= 25


@pytest.mark.parametrize('text, message', [
    ('hosts:\n  bm01:\n    faults: {license_unlinkd: true}\n', 'license_unlinkd'),
    ('hosts:\n  bm01: {faults: [oops\n', 'bad.yml'),
    ('hosts:\n  bm01:\n    faults: {clock_skew: lots}\n', 'clock_skew'),
])
def test_bad_scenario_is_refused_with_a_reason(text, message, tmp_path):
    scenario = tmp_path / 'bad.yml'
    scenario.write_text(text)
    proc = subprocess.run([sys.executable, str(REPO / 'tests/lab/labctl.py'), '--lab-dir', str(tmp_path / 'lab'),
                           'up', '--scenario', str(scenario)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert not (tmp_path / 'lab' / 'fleet.json').exists()


def test_kernel_errors_are_the_host_s_own(lab):
    pattern = "dmesg | grep -ciE 'error|failed|critical|bug|panic' || true"
    assert int(lab.ssh('bm03', pattern).stdout) == 2
    assert int(lab.ssh('bm01', pattern).stdout) == 0


def test_a_skewed_host_keeps_taking_connections(lab):
    # libfaketime re-reads its settings every 10 s; sshd's sandboxed children must not (see nsinit).
    for _ in range(3):
        assert lab.ssh('bm03', 'true').returncode == 0
        time.sleep(11)


def test_a_skewed_host_keeps_its_clock_state_to_itself(lab):
    # bm03 runs every process under libfaketime; its per-process state must stay in the host.
    lab.ssh('bm03', 'date; df -P /')
    assert lab.ssh('bm03', 'ls /dev/shm').stdout.strip()
    leaked = [name for name in os.listdir('/dev/shm') if 'faketime' in name]
    assert leaked == []


def test_lab_down_leaves_no_process_and_no_mount(lab_manager, lab):
    lab_dir = str(lab.fleet.dir)
    lab_manager.stop()
    with open('/proc/mounts') as fh:
        assert [line for line in fh if lab_dir in line] == []
    ps = subprocess.run(['ps', '-eo', 'args'], capture_output=True, text=True, check=True).stdout
    assert [line for line in ps.splitlines() if 'nsinit.py' in line or lab_dir + '/' in line] == []
