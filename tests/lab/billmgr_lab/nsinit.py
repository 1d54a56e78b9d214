"""PID 1 of one lab host: builds the host's private view of the machine, starts its daemons, reaps.

Run by the fleet as ``unshare --mount --uts --pid --fork --mount-proc python3 nsinit.py HOST_JSON``.
Everything it mounts lives in the host's own mount namespace, and every process it starts lives in
the host's PID namespace, so when this process ends the kernel tears all of it down: no mount and no
daemon of a lab host can outlive it.

Stdlib only: it runs with the system Python, outside the project's virtualenv.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

MGR_MOUNT_DEFAULT = '/usr/local/mgr5'


def run(*argv):
    subprocess.run(list(argv), check=True)


def mount(*args):
    run('mount', *args)


def log(msg):
    sys.stdout.write('%s nsinit: %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stdout.flush()


def private_view(cfg):
    hostdir = cfg['hostdir']
    # Mount events must not leak back into the real machine.
    mount('--make-rprivate', '/')
    run('hostname', cfg['name'])
    mount('-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', '/run')
    for sub in ('sshd', 'mysqld'):
        os.makedirs('/run/' + sub, mode=0o755, exist_ok=True)
    # libfaketime keeps a semaphore and a segment per process in /dev/shm, named by PID. PIDs repeat
    # across the hosts' PID namespaces and killed processes never unlink theirs, so each host gets
    # its own /dev/shm, gone with the namespace.
    if os.path.isdir('/dev/shm'):
        mount('-t', 'tmpfs', '-o', 'mode=1777,size=16m', 'tmpfs', '/dev/shm')
    # /etc and /usr/local are overlays so the host gets its own os-release, ld.so.preload and mgr
    # root mount point without a single byte changing on the real machine.
    for target, name in (('/etc', 'etc'), ('/usr/local', 'usr-local')):
        upper = os.path.join(hostdir, name + '-upper')
        work = os.path.join(hostdir, name + '-work')
        mount('-t', 'overlay', 'overlay', '-o',
              'lowerdir=%s,upperdir=%s,workdir=%s' % (target, upper, work), target)
    # The machine's own cron jobs are not the host's.
    empty = os.path.join(hostdir, 'empty')
    if os.path.isdir('/etc/cron.d'):
        mount('--bind', empty, '/etc/cron.d')
    os.makedirs('/var/spool/cron/crontabs', exist_ok=True)
    mount('--bind', os.path.join(hostdir, 'crontabs'), '/var/spool/cron/crontabs')

    mgr_mount = cfg.get('mgr_mount', MGR_MOUNT_DEFAULT)
    os.makedirs(mgr_mount, exist_ok=True)
    mount('--bind', cfg['mgr_root'], mgr_mount)
    if cfg.get('var_limits'):
        pressurise_var(os.path.join(cfg['mgr_root'], 'var'), os.path.join(mgr_mount, 'var'),
                       cfg['var_limits'])
    mount('--bind', cfg['mysql_run'], '/run/mysqld')


def pressurise_var(source, target, limits):
    """Make var/ a small tmpfs filled to the scenario's use percentages, so df shows it for real."""
    size = int(limits['size_bytes'])
    inodes = int(limits['inodes'])
    mount('-t', 'tmpfs', '-o', 'size=%d,nr_inodes=%d,mode=0755' % (size, inodes), 'tmpfs', target)
    run('cp', '-a', source + '/.', target + '/')
    st = os.statvfs(target)
    if limits.get('used_pct'):
        want_free = st.f_blocks * (100 - int(limits['used_pct'])) // 100
        fill_blocks = max(0, st.f_bfree - want_free)
        with open(os.path.join(target, 'tmp-session.dump'), 'wb') as fh:
            chunk = b'\0' * (1 << 20)
            left = fill_blocks * st.f_frsize
            while left > 0:
                left -= fh.write(chunk[:min(len(chunk), left)])
    if limits.get('inodes_pct'):
        want_free = st.f_files * (100 - int(limits['inodes_pct'])) // 100
        fill = max(0, os.statvfs(target).f_ffree - want_free)
        spool = os.path.join(target, 'sessions')
        os.makedirs(spool, exist_ok=True)
        for n in range(max(0, fill - 1)):
            open(os.path.join(spool, 'sess_%06d' % n), 'wb').close()


def start_daemons(cfg):
    if cfg.get('mysqld_argv'):
        subprocess.Popen(cfg['mysqld_argv'], stdin=subprocess.DEVNULL,
                         stdout=open(os.path.join(cfg['hostdir'], 'mysqld.out'), 'ab'),
                         stderr=subprocess.STDOUT)
    boot = os.path.join(cfg.get('mgr_mount', MGR_MOUNT_DEFAULT), 'lab', 'boot')
    if os.path.exists(boot):
        subprocess.run([boot], check=False)
    if cfg.get('cron'):
        run('/usr/sbin/cron')
    # -r: no re-exec per connection, so the sshd children stay the listener's forks, started before
    # the fake clock is in place. Under libfaketime sshd's sandboxed pre-auth children dropped
    # connections at random; the sessions they start still get the host's fake time.
    run('/usr/sbin/sshd', '-r', '-f', cfg['sshd_config'], '-E', os.path.join(cfg['hostdir'], 'sshd.log'))
    preload = os.path.join(cfg['hostdir'], 'ld.so.preload')
    if os.path.exists(preload):
        shutil.copyfile(preload, '/etc/ld.so.preload')


# Shared with fleet.py: this file runs under the system Python without the venv, so the
# helper lives here and the fleet imports it, not the other way round.
def wait_for_tcp(addr, port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((addr, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class _Stop(Exception):
    pass


def _raise_stop(_signo, _frame):
    # Raising is the only way out of a blocking waitpid: Python retries calls a handler returns from.
    raise _Stop()


def supervise():
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    try:
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                signal.pause()
    except _Stop:
        pass
    # As PID 1 of the namespace, kill(-1) reaches every other process of this host only.
    try:
        os.kill(-1, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        try:
            os.waitpid(-1, os.WNOHANG)
            os.kill(-1, 0)
        except (ProcessLookupError, ChildProcessError):
            return
        time.sleep(0.05)


def main(cfg_path):
    with open(cfg_path) as fh:
        cfg = json.load(fh)
    ready = os.path.join(cfg['hostdir'], 'ready')
    try:
        private_view(cfg)
        start_daemons(cfg)
        if not wait_for_tcp(cfg['address'], cfg['ssh_port'], 20):
            raise RuntimeError('sshd did not listen on %s:%s' % (cfg['address'], cfg['ssh_port']))
    except Exception as exc:  # the fleet reads this file to say why a host did not come up
        with open(ready, 'w') as fh:
            fh.write('failed: %s\n' % exc)
        log('failed: %s' % exc)
        return 1
    with open(ready, 'w') as fh:
        fh.write('ok\n')
    log('ready')
    supervise()
    log('stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
