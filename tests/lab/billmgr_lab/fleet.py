"""Bring a lab fleet of BILLmanager stand-in hosts up and down.

Each host is its own mount + UTS + PID namespace (see nsinit.py) with an sshd on its own loopback
address, so Ansible reaches it exactly as it reaches a real server: over SSH as root with a key.
The fleet's state lives in ``.lab/fleet.json``; ``down`` stops only the processes named there (or,
after a crash, processes whose command line names this lab's own directory), never by a broad kill.
"""

import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from billmgr_lab import hosttree, mariadb, panel, scenario
from billmgr_lab.nsinit import wait_for_tcp

HERE = Path(__file__).resolve().parent
NSINIT = HERE / 'nsinit.py'
SYSTEM_PYTHON = '/usr/bin/python3'
FIRST_ADDRESS = 21          # 127.0.0.21 is the first host; .1 stays the machine's own
LIGHT_MODE_FROM = 12        # larger fleets share one MariaDB server unless told otherwise
FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1'
VAR_TMPFS_BYTES = 96 << 20
VAR_TMPFS_INODES = 4096
READY_TIMEOUT = 60
# Held by a test session for as long as its fleet runs (tests/integration/conftest.py).
LAB_LOCK = '/tmp/billmgr-ops-lab.lock'


class LabError(Exception):
    """A lab problem with a message meant for the person running make."""


def lab_dir(root=None):
    return Path(root or os.environ.get('LAB_DIR') or Path.cwd() / '.lab').resolve()


def _pid_cmdline(pid):
    try:
        return Path('/proc/%d/cmdline' % pid).read_bytes().replace(b'\0', b' ').decode('utf-8', 'replace')
    except OSError:
        return ''


def _pids_naming(text):
    """Processes whose command line names TEXT (this lab's own directory): the crash fallback."""
    found = []
    for entry in Path('/proc').iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            if text in _pid_cmdline(int(entry.name)):
                found.append(int(entry.name))
    return found


def _stop_pid(pid, must_contain, timeout=10):
    """SIGTERM PID if it is still ours, SIGKILL after TIMEOUT; a reused PID is left alone."""
    if must_contain not in _pid_cmdline(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if must_contain not in _pid_cmdline(pid):
            return True
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return True


def _ensure_key(path):
    if not path.exists():
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'billmgr-ops-lab',
                        '-f', str(path)], check=True)
    return path


def _address_free(addr, port):
    with socket.socket() as sock:
        # As sshd does: connections of an earlier fleet still in TIME_WAIT must not count as taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((addr, port))
        except OSError:
            return False
    return True


def _check_tools():
    missing = [tool for tool in ('/usr/sbin/sshd', 'unshare', 'mount', 'ssh-keygen', SYSTEM_PYTHON)
               if not shutil.which(tool)]
    if not shutil.which('mariadbd', path='/usr/sbin:/usr/bin'):
        missing.append('mariadbd (Debian package mariadb-server)')
    if missing:
        raise LabError('lab needs %s: run `make lab-deps` (apt-get) first' % ', '.join(missing))
    if os.geteuid() != 0:
        raise LabError('the lab needs root (namespaces, mounts, sshd): run it as root')


class Fleet:
    def __init__(self, root=None):
        self.dir = lab_dir(root)
        self.state_file = self.dir / 'fleet.json'
        self.inventory_file = self.dir / 'inventory.yml'
        self.key = self.dir / 'id_ed25519'

    # ---------------------------------------------------------------- up
    def up(self, hosts=None, scenario_path=None, light=None, seed=1, ssh_port=22, cron=True,
           lock_held=False):
        _check_tools()
        spec = scenario.load_scenario(scenario_path, hosts, seed=seed)
        if not lock_held:
            _refuse_if_tests_run()
        if light is None:
            light = len(spec.hosts) >= LIGHT_MODE_FROM
        self.down(quiet=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        _ensure_key(self.key)
        for host in spec.hosts:
            addr = self._address(host)
            if not _address_free(addr, ssh_port):
                raise LabError('%s:%d is taken by another process: stop it or pass LAB_SSH_PORT'
                               % (addr, ssh_port))
        template = mariadb.MariaDBServer(self.dir / 'mysql-template')
        template.install()
        state = {'dir': str(self.dir), 'scenario': str(scenario_path or 'default'), 'light': light,
                 'ssh_port': ssh_port, 'hosts': {}, 'shared_mysql': None,
                 # SSH multiplexing masters of an earlier fleet on the same addresses must not be
                 # reused: each fleet gets its own control socket directory.
                 'control_path_dir': str(self.dir / 'cp' / secrets.token_hex(4))}
        shared = None
        if light:
            shared = mariadb.MariaDBServer(self.dir / 'shared-mysql')
            self._copy_datadir(template, shared)
            shared.start()
            pids = _pids_naming(str(shared.datadir))
            state['shared_mysql'] = {'pid': pids[0] if pids else 0, 'basedir': str(shared.basedir)}
        self._save(state)
        try:
            with ThreadPoolExecutor(max_workers=4) as pool:
                results = list(pool.map(
                    lambda h: self._start_host(h, spec, template, shared, ssh_port, cron), spec.hosts))
            for name, info in results:
                state['hosts'][name] = info
                self._save(state)
        except BaseException:
            self._save(state)
            self.down(quiet=True)
            raise
        self._write_inventory(spec, state)
        return state

    def _address(self, host):
        return '127.0.0.%d' % (FIRST_ADDRESS + host.index - 1)

    def _copy_datadir(self, template, server):
        if server.basedir.exists():
            shutil.rmtree(server.basedir)
        server.basedir.mkdir(parents=True)
        shutil.copytree(template.datadir, server.datadir, symlinks=True)

    def _start_host(self, host, spec, template, shared, ssh_port, cron):
        hostdir = self.dir / 'hosts' / host.name
        if hostdir.exists():
            shutil.rmtree(hostdir)
        hostdir.mkdir(parents=True)
        addr = self._address(host)
        if shared:
            db = hosttree.DbSettings(name='billmgr_%s' % host.name.replace('-', '_'),
                                     user='bm_%s' % host.name.replace('-', '_')[:28],
                                     password=secrets.token_urlsafe(18))
        else:
            db = hosttree.DbSettings(password=secrets.token_urlsafe(18))
        plan = hosttree.build_host(host, spec, hostdir, db)
        panel.write_panel(plan.mgr_root, host, addr)
        self._write_etc(hostdir, host, plan)
        for sub in ('usr-local-upper', 'usr-local-work', 'empty'):
            (hostdir / sub).mkdir()
        # The runbook types `licctl info billmgr` and `mgrctl ...` without a path.
        (hostdir / 'usr-local-upper' / 'sbin').mkdir()
        for tool in ('mgrctl', 'licctl'):
            os.symlink('/usr/local/mgr5/sbin/' + tool, hostdir / 'usr-local-upper' / 'sbin' / tool)
        self._write_dmesg(hostdir, host)
        crontabs = hostdir / 'crontabs'
        crontabs.mkdir(mode=0o1730)
        crontab = crontabs / 'root'
        crontab.write_text(plan.crontab)
        os.chmod(crontab, 0o600)
        _chgrp(crontabs, 'crontab')
        _chgrp(crontab, 'crontab')
        sshd_config = self._write_sshd(hostdir, addr, ssh_port)

        mysql_run = hostdir / 'mysqld-run'
        mysql_run.mkdir()
        server = None
        if shared:
            mysql_run = Path(shared.socket).parent if plan.db_up else mysql_run
        elif plan.db_up:
            server = mariadb.MariaDBServer(hostdir / 'mysql', socket=mysql_run / 'mysqld.sock')
            self._copy_datadir(template, server)
        cfg = {
            'name': host.name, 'hostdir': str(hostdir), 'address': addr, 'ssh_port': ssh_port,
            'mgr_root': str(plan.mgr_root), 'mysql_run': str(mysql_run), 'sshd_config': str(sshd_config),
            'cron': cron, 'mysqld_argv': server.command() if server else None,
            'var_limits': self._var_limits(plan), 'clock_skew': plan.clock_skew,
        }
        cfg_path = hostdir / 'host.json'
        cfg_path.write_text(json.dumps(cfg, indent=1))
        log = open(hostdir / 'init.log', 'ab')
        proc = subprocess.Popen(
            ['unshare', '--mount', '--uts', '--pid', '--fork', '--mount-proc',
             SYSTEM_PYTHON, str(NSINIT), str(cfg_path)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        init_pid = self._child_of(proc.pid)
        info = {'address': addr, 'unshare_pid': proc.pid, 'init_pid': init_pid, 'hostdir': str(hostdir),
                'mgr_root': str(plan.mgr_root), 'db_name': db.name, 'role': host.role,
                'provider': host.provider, 'faults': host.faults}
        self._wait_ready(hostdir, host.name)
        if plan.db_up:
            target = shared or server
            _wait_sql(target, host.name)
            mariadb.create_host_database(target.sql, db, plan.schema_sql, plan.seed_sql)
        return host.name, info

    @staticmethod
    def _child_of(pid, timeout=5):
        deadline = time.monotonic() + timeout
        path = Path('/proc/%d/task/%d/children' % (pid, pid))
        while time.monotonic() < deadline:
            try:
                children = path.read_text().split()
            except OSError:
                children = []
            if children:
                return int(children[0])
            time.sleep(0.01)
        raise LabError('the namespace of a lab host did not start (pid %d)' % pid)

    def _wait_ready(self, hostdir, name):
        ready = hostdir / 'ready'
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if ready.exists():
                text = ready.read_text().strip()
                if text == 'ok':
                    return
                if text:
                    raise LabError('lab host %s did not come up: %s (see %s)'
                                   % (name, text, hostdir / 'init.log'))
            time.sleep(0.05)
        raise LabError('lab host %s not ready after %ds (see %s)' % (name, READY_TIMEOUT, hostdir / 'init.log'))

    def _write_etc(self, hostdir, host, plan):
        upper = hostdir / 'etc-upper'
        upper.mkdir()
        (hostdir / 'etc-work').mkdir()
        (upper / 'os-release').write_text(plan.os_release)
        (upper / 'hostname').write_text(host.name + '\n')
        (upper / 'crontab').write_text('# the lab host has no system-wide cron jobs\n')
        if plan.clock_skew:
            # libfaketime reads /etc/faketimerc; /etc/ld.so.preload (put in place by nsinit once sshd
            # runs) puts it under every process the host starts from then on.
            (upper / 'faketimerc').write_text('%+ds\n' % plan.clock_skew)
            (hostdir / 'ld.so.preload').write_text(FAKETIME_LIB + '\n')

    @staticmethod
    def _write_dmesg(hostdir, host):
        """A ring buffer of the host's own: the real one belongs to the whole machine, every host alike."""
        uptime = float(Path('/proc/uptime').read_text().split()[0])
        lines = ['[    0.000000] Linux version 5.14.0-427.13.1.el9_4.x86_64 (lab)',
                 '[    0.512004] Memory: 8041236K/8388152K available',
                 '[    2.114907] EXT4-fs (vda1): mounted filesystem with ordered data mode',
                 '[%12.6f] systemd[1]: Started ihttpd.service - ISPsystem web server.' % max(3.0, uptime - 600)]
        for n in range(int(host.faults.get('kernel_errors') or 0)):
            lines.append('[%12.6f] EXT4-fs error (device vda1): ext4_find_entry:1455: inode #%d: comm core: '
                         'reading directory lblock 0' % (max(4.0, uptime - 300 + n), 131074 + n))
        (hostdir / 'etc-upper' / 'lab-dmesg').write_text('\n'.join(lines) + '\n')
        tool = hostdir / 'usr-local-upper' / 'bin' / 'dmesg'
        tool.parent.mkdir(exist_ok=True)
        tool.write_text('#!/bin/sh\n# Lab stand-in: this host\'s own kernel ring buffer.\nexec cat /etc/lab-dmesg\n')
        tool.chmod(0o755)

    def _write_sshd(self, hostdir, addr, port):
        hostkey = hostdir / 'ssh_host_ed25519_key'
        _ensure_key(hostkey)
        authorized = hostdir / 'authorized_keys'
        shutil.copy(str(self.key) + '.pub', authorized)
        cfg = hostdir / 'sshd_config'
        cfg.write_text('\n'.join([
            'ListenAddress %s:%d' % (addr, port),
            'HostKey %s' % hostkey,
            'PidFile /run/sshd.pid',
            'AuthorizedKeysFile %s' % authorized,
            'PermitRootLogin prohibit-password',
            'PasswordAuthentication no',
            'KbdInteractiveAuthentication no',
            'UsePAM no',
            # The lab's files sit under the work tree, whose modes sshd would otherwise reject.
            'StrictModes no',
            'MaxStartups 200:30:400',
            'MaxSessions 50',
            'Subsystem sftp internal-sftp',
            '',
        ]))
        return cfg

    @staticmethod
    def _var_limits(plan):
        if not (plan.var_used_pct or plan.var_inodes_pct):
            return None
        return {'size_bytes': VAR_TMPFS_BYTES, 'inodes': VAR_TMPFS_INODES,
                'used_pct': plan.var_used_pct, 'inodes_pct': plan.var_inodes_pct}

    def _write_inventory(self, spec, state):
        hosts = {}
        for host in spec.hosts:
            info = state['hosts'][host.name]
            hostvars = {'ansible_host': info['address'], 'lab_host_dir': info['hostdir'],
                        'lab_faults': host.faults, 'lab_db_name': info['db_name']}
            if host.role != 'standalone':
                hostvars['billmgr_role'] = host.role
            if host.provider and host.settings.get('provider_in_inventory', True):
                hostvars['billmgr_provider_host'] = host.provider
            hosts[host.name] = hostvars
        inventory = {'all': {'children': {'billmgr': {
            'hosts': hosts,
            'vars': {
                'ansible_user': 'root',
                'ansible_port': state['ssh_port'],
                'ansible_ssh_private_key_file': str(self.key),
                'ansible_ssh_common_args': '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'
                                           ' -o LogLevel=ERROR',
                # The hosts' keys are made anew with each fleet. Said to Ansible as well as to ssh:
                # Mitogen puts its own StrictHostKeyChecking ahead of the arguments above.
                'ansible_host_key_checking': False,
                'ansible_python_interpreter': SYSTEM_PYTHON,
                'ansible_control_path_dir': state['control_path_dir'],
                'billmgr_mgr_root': '/usr/local/mgr5',
            }}}}}
        self.inventory_file.write_text(
            '# Written by `make lab-up`; the lab fleet of BILLmanager stand-ins.\n'
            + yaml.safe_dump(inventory, sort_keys=False))

    def _save(self, state):
        tmp = self.state_file.with_suffix('.tmp')
        tmp.write_text(json.dumps(state, indent=1))
        os.replace(tmp, self.state_file)

    # ---------------------------------------------------------------- down
    def down(self, quiet=False):
        stopped = 0
        if self.state_file.exists():
            state = json.loads(self.state_file.read_text())
            for info in state.get('hosts', {}).values():
                stopped += _stop_pid(info['init_pid'], 'nsinit.py')
                _stop_pid(info['unshare_pid'], 'nsinit.py', timeout=2)
            shared = state.get('shared_mysql')
            if shared:
                stopped += _stop_pid(shared['pid'], shared['basedir'])
        # A crashed up/down can leave processes fleet.json never named; they carry our path.
        for pid in _pids_naming(str(self.dir) + '/'):
            stopped += _stop_pid(pid, str(self.dir) + '/')
        if self.state_file.exists():
            self.state_file.unlink()
        if self.inventory_file.exists():
            self.inventory_file.unlink()
        shutil.rmtree(self.dir / 'cp', ignore_errors=True)
        if not quiet:
            print('lab: stopped %d process group(s); nothing of the lab is running' % stopped
                  if stopped else 'lab: nothing was running')
        return stopped

    def status(self):
        if not self.state_file.exists():
            return None
        state = json.loads(self.state_file.read_text())
        for info in state['hosts'].values():
            info['running'] = 'nsinit.py' in _pid_cmdline(info['init_pid'])
            info['ssh'] = wait_for_tcp(info['address'], state['ssh_port'], 0.5)
        return state


def _refuse_if_tests_run():
    with open(LAB_LOCK, 'a') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LabError('a test session is using the lab right now (it holds %s); '
                           'wait for it to finish' % LAB_LOCK) from None


def _wait_sql(server, name, timeout=READY_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.sql('SELECT 1')
            return
        except Exception as exc:  # the client's own error is the useful message
            if time.monotonic() > deadline:
                raise LabError('the database of lab host %s did not answer: %s' % (name, exc))
            time.sleep(0.1)


def _chgrp(path, group):
    try:
        import grp
        os.chown(path, 0, grp.getgrnam(group).gr_gid)
    except (KeyError, ImportError):
        pass


def main_error(exc):
    sys.stderr.write('lab: %s\n' % exc)
    return 2
