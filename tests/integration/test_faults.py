"""Issue 8: one health sweep over a fleet where every host has a fault production has seen, then the
write paths (debug_level, debug.yml) and log_grep under faults. Nothing may be lost, nothing changed."""

import hashlib
import json
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from conftest import REPO, recap

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'faults-sweep.yml'
HEALTH = REPO / 'playbooks' / 'health.yml'
DEBUG = REPO / 'playbooks' / 'debug.yml'
LAB_HOSTS = ('bm01', 'bm02', 'hung', 'dbdown', 'slow', 'corrupt', 'badlog')
# Seconds a platform command may take in this sweep: the hung mgrctl must be reported, not waited on.
COMMAND_TIMEOUT = 5
MGR_MOUNT = '/usr/local/mgr5'

# Garbage the platform would skip, the same (log, module) twice, no final newline, one 1 MB line.
CORRUPT_TAIL = (b'\n\x00\xff\xfe garbage \x1b[31m not a level\r\n'
                b'=== ;; :: [[[\n' + b'billmgr.x ' + b'A' * (1024 * 1024) + b' 4\n'
                + b'billmgr.* 5\nbillmgr.* 4')
# The records the test adds are stamped ten minutes before the run, in the hosts' local time (the lab's
# hosts share the controller's clock and zone): inside the sweep's 24 h window on any day of the year.
RECORDS_AGO = 600


def stamp(seconds_ago=RECORDS_AGO, second=None):
    """The platform's header time SECONDS_AGO before now; SECOND replaces the second of the minute."""
    when = time.localtime(time.time() - seconds_ago)
    text = time.strftime('%b ', when) + '%2d' % when.tm_mday + time.strftime(' %H:%M:', when)
    return (text + '%02d' % (when.tm_sec if second is None else second)).encode()


def record(second, message, level=b'ERROR'):
    return b'%s [4242:7] core_module %s %s\n' % (stamp(second=second), level, message)


# ---------------------------------------------------------------- processes of one lab host
def _cmdline(pid):
    try:
        with open('/proc/%s/cmdline' % pid, 'rb') as fh:
            return fh.read().replace(b'\x00', b' ').decode('utf-8', 'replace')
    except OSError:
        return ''


def _parent(pid):
    try:
        with open('/proc/%s/stat' % pid) as fh:
            return int(fh.read().rpartition(')')[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _pids():
    return [int(name) for name in os.listdir('/proc') if name.isdigit()]


def _same_pid_namespace(pid, init_pid):
    try:
        return os.readlink('/proc/%d/ns/pid' % pid) == os.readlink('/proc/%d/ns/pid' % init_pid)
    except OSError:
        return False


def host_processes(lab, host, needle):
    """Pids in HOST's own namespace whose command line holds NEEDLE."""
    init_pid = lab.hosts[host]['init_pid']
    return [pid for pid in _pids() if pid != init_pid and _same_pid_namespace(pid, init_pid)
            and needle in _cmdline(pid)]


def stop_sshd(lab, host):
    """Kill the host's sshd listener (found by its own config path) and the sessions it forked."""
    config = os.path.join(lab.hosts[host]['hostdir'], 'sshd_config')
    listeners = [pid for pid in _pids() if 'sshd' in _cmdline(pid) and '-f ' + config in _cmdline(pid)]
    assert listeners, 'no sshd with -f %s' % config
    sessions = [pid for pid in _pids() if _parent(pid) in listeners]
    for pid in listeners + sessions:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return listeners + sessions


def nsenter(lab, host, argv, data=None):
    """Run ARGV in HOST's mount namespace (the mgr root is at /usr/local/mgr5 there)."""
    return subprocess.run(['nsenter', '-t', str(lab.hosts[host]['init_pid']), '-m', '--'] + argv,
                          input=data, capture_output=True, timeout=120)


# ---------------------------------------------------------------- files of the fleet
def fingerprints(lab):
    """{host: {path: (size, sha256)}} of etc/ and every log; taken from the controller side."""
    prints = {}
    for host in LAB_HOSTS:
        root = lab.host_path(host, '')
        found = {}
        for top in ('etc', 'var'):
            for folder, _, files in os.walk(root / top):
                for name in files:
                    path = os.path.join(folder, name)
                    if top == 'var' and '.log' not in name:
                        continue
                    with open(path, 'rb') as fh:
                        data = fh.read()
                    found[os.path.relpath(path, root)] = (len(data), hashlib.sha256(data).hexdigest())
        prints[host] = found
    return prints


def prefix_digest(path, size):
    with open(path, 'rb') as fh:
        return hashlib.sha256(fh.read(size)).hexdigest()


def bad_log_bytes():
    lines = [record(1, b'invalid utf-8 \xff\xfe\xc3( in a message'),
             record(2, b'a NUL \x00 byte and another\x00'),
             record(3, b'coloured record', level=b'\x1b[1;31mERROR\x1b[0m'),
             record(4, b'ten megabytes follow ' + b'x' * (10 * 1024 * 1024)),
             record(5, b'the record after the long line')]
    return b''.join(lines)


# ---------------------------------------------------------------- the sweep
@pytest.fixture(scope='module')
def fleet(lab_manager, tmp_path_factory):
    lab = lab_manager.get(SCENARIO, fresh=True)
    ghost = tmp_path_factory.mktemp('inv') / 'ghost.yml'
    ghost.write_text('billmgr:\n  hosts:\n    ghost:\n      ansible_host: 127.0.0.250\n')
    with open(lab.host_path('corrupt', 'etc/debug.conf'), 'ab') as fh:
        fh.write(CORRUPT_TAIL)
    with open(lab.host_path('badlog', 'var/billmgr.log'), 'ab') as fh:
        fh.write(bad_log_bytes())
    lab.host_path('slow', 'lab/mgrctl_delay').write_text('60')
    return lab, ghost


@pytest.fixture(scope='module')
def swept(fleet, tmp_path_factory):
    lab, ghost = fleet
    before = fingerprints(lab)
    report_dir = tmp_path_factory.mktemp('reports')
    stopped = {}

    def stop_slow_host_mid_call():
        # The sweep is waiting on the slow host's mgrctl: that is "the middle of the sweep".
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not host_processes(lab, 'slow', 'mgrctl'):
            time.sleep(0.1)
        if host_processes(lab, 'slow', 'mgrctl'):
            stopped['pids'] = stop_sshd(lab, 'slow')

    stopper = threading.Thread(target=stop_slow_host_mid_call, daemon=True)
    stopper.start()
    proc = lab.playbook(HEALTH, inventory_extra=[str(ghost)],
                        extra_vars={'billmgr_report_dir': str(report_dir), 'billmgr_health_fail_on': 'never',
                                    'billmgr_health_command_timeout': COMMAND_TIMEOUT})
    stopper.join(timeout=5)
    lab.host_path('slow', 'lab/mgrctl_delay').unlink()
    after = fingerprints(lab)
    report_file = report_dir / 'latest' / 'report.json'
    assert report_file.exists(), proc.stdout[-4000:] + proc.stderr[-2000:]
    report = json.loads(report_file.read_text())
    return {'lab': lab, 'proc': proc, 'report': report, 'hosts': {h['host']: h for h in report['hosts']},
            'before': before, 'after': after, 'stopped': stopped}


def ids(record):
    return {finding['id'] for finding in record['findings']}


def test_sweep_finishes_and_reports_every_host(swept):
    # 4: the hosts that could not be reached count as unreachable (fail_on never fails no host).
    assert swept['proc'].returncode == 4, swept['proc'].stdout[-3000:]
    counts = recap(swept['proc'].stdout)
    assert not [host for host, c in counts.items() if c['failed']], swept['proc'].stdout[-3000:]
    assert counts['ghost']['unreachable'] == 1
    assert set(swept['hosts']) == set(LAB_HOSTS) | {'ghost'}


def test_unreachable_from_the_start_is_a_finding(swept):
    ghost = swept['hosts']['ghost']
    assert ghost['reachable'] is False and ids(ghost) == {'unreachable'}


def test_sshd_stopped_mid_sweep_is_a_finding(swept):
    assert swept['stopped'].get('pids'), 'the slow host was never seen running mgrctl'
    slow = swept['hosts']['slow']
    assert slow['reachable'] is False and ids(slow) == {'unreachable'}, slow


def test_hung_mgrctl_is_reported_as_a_timeout(swept):
    hung = swept['hosts']['hung']
    assert hung['reachable'] is True
    down = [f for f in hung['findings'] if f['id'] == 'platform_down']
    assert down, hung['findings']
    assert re.search(r'killed after %s(\.0)? seconds' % COMMAND_TIMEOUT, json.dumps(down[0]['evidence'])), down[0]
    # The killed mgrctl must not outlive the call.
    assert not host_processes(swept['lab'], 'hung', 'mgrctl')


def test_database_down_is_named_and_the_rest_of_the_host_reports(swept):
    dbdown = swept['hosts']['dbdown']
    assert 'database_unreachable' in ids(dbdown), dbdown['findings']
    summary = dbdown['summary']
    assert summary['os'] and summary['platform_version'] and summary['license_id'], summary
    assert 'platform_down' not in ids(dbdown)


def test_healthy_and_corrupt_hosts_are_fully_reported(swept):
    for name in ('bm01', 'bm02', 'corrupt', 'badlog'):
        record = swept['hosts'][name]
        assert record['reachable'] is True, record
        assert record['summary']['platform_version'] and record['summary']['license_id'], record
        bad = ids(record) & {'unreachable', 'sweep_incomplete', 'platform_down', 'database_unreachable'}
        if name == 'corrupt':
            # The lab's platform reads debug.conf when it answers and gives no answer with this one:
            # platform_down is the finding for that host, the rest of it must still be reported.
            bad.discard('platform_down')
        assert not bad, (name, record['findings'])


def test_bad_log_is_read_and_its_errors_counted(swept):
    errors = [f for f in swept['hosts']['badlog']['findings'] if f['id'] == 'log_errors']
    assert errors, swept['hosts']['badlog']['findings']
    # The five untyped records the test added ten minutes before the sweep, the coloured one included.
    untyped = [f for f in errors if f['evidence']['error_type'] == 'other']
    assert untyped and untyped[0]['evidence']['count'] >= 5, errors


def test_sweep_changes_no_byte_of_config_or_logs(swept):
    """etc/ is equal; a log may only have grown (the platform itself logs the sweep's mgrctl calls)."""
    for host in LAB_HOSTS:
        before, after = swept['before'][host], swept['after'][host]
        for path, (size, digest) in before.items():
            assert path in after, (host, path)
            if path.startswith('etc'):
                assert after[path] == (size, digest), (host, path)
            else:
                current = prefix_digest(swept['lab'].host_path(host, path), size)
                assert after[path][0] >= size and current == digest, (host, path)


# ---------------------------------------------------------------- write paths and reads under faults
def debug_level(lab, host, **args):
    results, proc = lab.module(host, 'billmgr.ops.debug_level', args)
    assert host in results, proc.stdout[-2000:] + proc.stderr[-2000:]
    return results[host]


def test_debug_level_on_a_corrupt_file_keeps_every_byte_it_does_not_manage(swept):
    lab = swept['lab']
    path = lab.host_path('corrupt', 'etc/debug.conf')
    original = path.read_bytes()
    assert original.endswith(CORRUPT_TAIL)
    raised = debug_level(lab, 'corrupt', log='billmgr', level=9, expires='30m')
    if raised.get('failed'):
        # A refusal is allowed when it says why, and must leave the file alone.
        assert 'debug.conf' in raised['msg'], raised
        assert path.read_bytes() == original
        return
    during = path.read_bytes()
    assert b'A' * (1024 * 1024) in during and b'\x00\xff\xfe garbage' in during
    assert len(during) > len(original) - len(b'billmgr.* 4')
    restored = debug_level(lab, 'corrupt', log='billmgr', state='absent')
    assert not restored.get('failed'), restored
    assert path.read_bytes() == original


def _open_by(lab, host, suffix):
    init_pid = lab.hosts[host]['init_pid']
    for pid in _pids():
        if not _same_pid_namespace(pid, init_pid):
            continue
        try:
            for fd in os.listdir('/proc/%d/fd' % pid):
                if os.readlink('/proc/%d/fd/%s' % (pid, fd)).endswith(suffix):
                    return pid
        except OSError:
            continue
    return None


def test_log_rotated_while_log_grep_reads_it(swept):
    lab = swept['lab']
    live = lab.host_path('badlog', 'var/rotating.log')
    block = b''.join(record(n % 60, b'rotation test record %d' % n) for n in range(2000))
    with open(live, 'wb') as fh:
        for _ in range(400):
            fh.write(block)
    archive_name = time.strftime('rotating.log-%Y%m%d-%H%M%S.1')
    seen = {}

    def rotate_mid_read():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            reader = _open_by(lab, 'badlog', '/var/rotating.log')
            if reader:
                os.rename(live, lab.host_path('badlog', 'var/logs/' + archive_name))
                live.write_bytes(b'%s [4242:1] core_module INFO Log rotated, previous part saved as logs/%s\n'
                                 % (stamp(seconds_ago=0), archive_name.encode()))
                seen['still_reading'] = _open_by(lab, 'badlog', archive_name) == reader
                return
            time.sleep(0.02)

    rotator = threading.Thread(target=rotate_mid_read, daemon=True)
    rotator.start()
    results, proc = lab.module('badlog', 'billmgr.ops.log_grep',
                               {'logs': ['rotating'], 'context': 'none', 'max_matches': 5})
    rotator.join(timeout=10)
    result = results['badlog']
    assert seen.get('still_reading'), 'the log was not rotated while log_grep had it open'
    assert not result.get('failed') and 'Traceback' not in proc.stdout, proc.stdout[-3000:]
    assert 'counts' in result, result


def test_full_filesystem_while_debug_level_writes_keeps_the_old_file(swept):
    lab = swept['lab']
    etc = MGR_MOUNT + '/etc'
    original = nsenter(lab, 'bm01', ['cat', etc + '/debug.conf']).stdout
    assert original
    tree = subprocess.run(['tar', '-C', str(lab.host_path('bm01', 'etc')), '-cf', '-', '.'],
                          capture_output=True, check=True).stdout
    mounted = nsenter(lab, 'bm01', ['mount', '-t', 'tmpfs', '-o', 'size=512k,mode=0755', 'tmpfs', etc])
    assert mounted.returncode == 0, mounted.stderr
    try:
        assert nsenter(lab, 'bm01', ['tar', '-C', etc, '-xf', '-'], data=tree).returncode == 0
        names = set(nsenter(lab, 'bm01', ['ls', '-A', etc]).stdout.decode().split())
        nsenter(lab, 'bm01', ['dd', 'if=/dev/zero', 'of=' + etc + '/.fill', 'bs=64k'])
        result = debug_level(lab, 'bm01', log='billmgr', level=9, expires='30m')
        assert result.get('failed'), result
        assert 'space' in result['msg'].lower() and 'debug.conf' in result['msg'], result['msg']
        assert nsenter(lab, 'bm01', ['cat', etc + '/debug.conf']).stdout == original
        left = set(nsenter(lab, 'bm01', ['ls', '-A', etc]).stdout.decode().split())
        assert left - names <= {'.fill', '.debug.conf.lock'}, left - names
    finally:
        unmounted = nsenter(lab, 'bm01', ['umount', etc])
    assert unmounted.returncode == 0, unmounted.stderr


def test_two_debug_runs_at_once_lose_no_update(swept):
    lab = swept['lab']
    runs = {}

    def run(logs):
        runs[logs] = lab.playbook(DEBUG, limit='bm02', extra_vars={'debug_logs': logs, 'debug_for': '30m'})

    threads = [threading.Thread(target=run, args=(logs,)) for logs in ('billmgr', 'pmbillmgr')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    conf = lab.host_path('bm02', 'etc/debug.conf').read_text()
    for logs, proc in runs.items():
        if proc.returncode == 0:
            assert '\n%s.* 9\n' % logs in conf, (logs, conf)
        else:
            assert 'lock' in proc.stdout.lower(), proc.stdout[-3000:]
    assert any(proc.returncode == 0 for proc in runs.values()), runs['billmgr'].stdout[-3000:]
