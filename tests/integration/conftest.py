"""One lab fleet for the whole integration run, and helpers to drive Ansible against it."""

import fcntl
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]



def _stdin_blocking():
    # Ansible refuses to start on a non-blocking stdin. A CI runner can hand one down, and
    # ansible-runner (run in-process by the AWX test) leaves the shared one non-blocking.
    try:
        os.set_blocking(0, True)
    except OSError:
        pass


_stdin_blocking()


@pytest.fixture(autouse=True)
def blocking_stdin():
    _stdin_blocking()
    yield
    _stdin_blocking()
sys.path.insert(0, str(REPO / 'tests' / 'lab'))

from billmgr_lab import fleet as lab_fleet  # noqa: E402

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'integration.yml'
VENV_BIN = Path(sys.executable).parent
# Lab hosts own fixed loopback addresses, so two test sessions on one machine take turns.
LAB_LOCK = lab_fleet.LAB_LOCK


class Lab:
    """The running fleet: its inventory, its hosts, and ways to reach them."""

    def __init__(self, fleet, state):
        self.fleet = fleet
        self.state = state
        self.inventory = str(fleet.inventory_file)
        self.key = str(fleet.key)
        self.hosts = state['hosts']

    def address(self, host):
        return self.hosts[host]['address']

    def ssh(self, host, command, check=True, timeout=60):
        """Run COMMAND on a lab host over real SSH, as an operator would."""
        argv = ['ssh', '-i', self.key, '-p', str(self.state['ssh_port']), '-o', 'BatchMode=yes',
                '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
                '-o', 'LogLevel=ERROR', 'root@' + self.address(host), command]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError('ssh %s %r failed (%d): %s%s'
                                 % (host, command, proc.returncode, proc.stdout, proc.stderr))
        return proc

    def host_path(self, host, relative):
        """A file of a host's mgr root, read from the controller side of the lab."""
        return Path(self.hosts[host]['mgr_root']) / relative

    def module(self, pattern, module, args=None, check=False, diff=False, verbosity=0, env=None):
        """Run one module ad hoc; returns ({host: result}, completed process)."""
        with tempfile.TemporaryDirectory() as tree:
            argv = [str(VENV_BIN / 'ansible'), pattern, '-i', self.inventory, '-m', module,
                    '--tree', tree]
            if args is not None:
                argv += ['-a', json.dumps(args)]
            if check:
                argv.append('--check')
            if diff:
                argv.append('--diff')
            if verbosity:
                argv.append('-' + 'v' * verbosity)
            proc = subprocess.run(argv, capture_output=True, text=True, env=ansible_env(env), timeout=600,
                                  stdin=subprocess.DEVNULL)
            results = {}
            for name in os.listdir(tree):
                with open(os.path.join(tree, name)) as fh:
                    results[name] = json.load(fh)
        # The tree callback keeps the module's result only; whether it failed is in the host's line.
        for host, status in AD_HOC_STATUS.findall(proc.stdout):
            results.setdefault(host, {})['failed'] = status == 'FAILED!'
            results[host]['unreachable'] = status == 'UNREACHABLE!'
        return results, proc

    def playbook(self, playbook, limit=None, extra_vars=None, check=False, diff=False, verbosity=0,
                 env=None, inventory_extra=(), vars_files=()):
        argv = [str(VENV_BIN / 'ansible-playbook'), '-i', self.inventory, str(playbook)]
        # Secrets go in files: ansible-playbook -vvvv echoes its own -e arguments.
        for path in vars_files:
            argv += ['-e', '@' + str(path)]
        for extra in inventory_extra:
            argv += ['-i', extra]
        if limit:
            argv += ['--limit', limit]
        if extra_vars:
            argv += ['-e', json.dumps(extra_vars)]
        if check:
            argv.append('--check')
        if diff:
            argv.append('--diff')
        if verbosity:
            argv.append('-' + 'v' * verbosity)
        return subprocess.run(argv, capture_output=True, text=True, env=ansible_env(env), timeout=1800,
                              stdin=subprocess.DEVNULL)


AD_HOC_STATUS = re.compile(r'^(\S+) \| (FAILED!|SUCCESS|CHANGED|UNREACHABLE!)', re.M)


def ansible_env(extra=None):
    env = dict(os.environ)
    env['ANSIBLE_COLLECTIONS_PATH'] = str(REPO / '.build')
    env['ANSIBLE_CONFIG'] = str(REPO / 'ansible.cfg')
    env['ANSIBLE_NOCOLOR'] = '1'
    env['ANSIBLE_CALLBACK_RESULT_FORMAT'] = 'json'
    env.update(extra or {})
    return env


def recap(stdout):
    """PLAY RECAP as {host: {ok, changed, unreachable, failed, ...}}."""
    counts = {}
    in_recap = False
    for line in stdout.splitlines():
        if line.startswith('PLAY RECAP'):
            in_recap = True
            continue
        if in_recap and ':' in line:
            host, _, rest = line.partition(':')
            counts[host.strip()] = {k: int(v) for k, v in (item.split('=') for item in rest.split())}
    return counts


class LabManager:
    """Holds the lab lock for the session and the one fleet that runs, replacing it on demand."""

    def __init__(self):
        self.fleet = lab_fleet.Fleet(REPO / '.lab')
        self.scenario = None
        self.lab = None

    def get(self, scenario, fresh=False, cron=False):
        """The fleet of SCENARIO. Its cron daemons run only for a test that needs them (the debug
        reverter): the crontab's five-minute checkevent would otherwise empty the backlog a test
        counts whenever the clock happens to cross its minute during the test."""
        wanted = (scenario, cron)
        if fresh or self.scenario != wanted:
            state = self.fleet.up(scenario_path=str(scenario), lock_held=True, cron=cron)
            self.scenario = None if fresh else wanted
            self.lab = Lab(self.fleet, state)
        return self.lab

    def stop(self):
        self.fleet.down(quiet=True)
        # The next get() must bring a fleet up again, whatever scenario it asks for.
        self.scenario = None
        self.lab = None


@pytest.fixture(scope='session')
def lab_manager():
    with open(LAB_LOCK, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manager = LabManager()
        try:
            yield manager
        finally:
            manager.stop()


@pytest.fixture(scope='module')
def lab(lab_manager):
    """The shared fleet of integration.yml; tests that change a host use only the hosts named for it."""
    return lab_manager.get(SCENARIO)


@pytest.fixture(scope='module')
def inventory(lab):
    with open(lab.inventory) as fh:
        return yaml.safe_load(fh)
