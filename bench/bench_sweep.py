"""The sweep over a lab fleet: health.yml against the runbook's commands and against one ping.

One fleet of 50 light-mode lab hosts, started while holding the lab lock that integration test
sessions take turns on (blocking: this waits for them, and never starts a fleet without it).
Each round runs every variant once, same forks, same fleet, SSH masters warm; the bench_calls
callback counts what each host was sent.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import (  # noqa: E402
    BUILD,
    REPO,
    VENV_BIN,
    Row,
    ansible_env,
    at_most_ratio,
    machine_busy_seconds,
    median,
    mitogen_strategy_dir,
    seconds_of,
    side_by_side,
    speedup,
    timed_run,
    tree_cpu_seconds,
)

sys.path.insert(0, str(REPO / 'tests' / 'lab'))
from billmgr_lab import fleet as lab_fleet  # noqa: E402

GROUP = 'sweep'
# The health scenario's faults, the clock skew aside (bench/fleet.yml says why).
SCENARIO = REPO / 'bench' / 'fleet.yml'
HEALTH = REPO / 'playbooks' / 'health.yml'
RUNBOOK = REPO / 'bench' / 'playbooks' / 'runbook_commands.yml'
CALLBACKS = REPO / 'bench' / 'callback_plugins'
FORKS = 50
HEALTH_SPEEDUP = 8
HEALTH_PER_PING = 1.3
# Mitogen must never be slower than linear: health.yml linear / mitogen at least this.
MITOGEN_SPEEDUP = 1.0
RELAY = Path(__file__).resolve().parent / 'delay_relay.py'
# The relay listens on this /24 of loopback, the host's last octet kept.
RELAY_NET = '127.0.1.'
MAX_CALLS_PER_HOST = 2
CONTROLLER_ADDRESSES = ('localhost', '127.0.0.1', '::1')
_RECAP = re.compile(r'^(\S+)\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)
CONNECT_TIMEOUT = 60
_AD_HOC_OK = re.compile(r'^(\S+) \| SUCCESS', re.M)


def run(runs=3, hosts=50, rtt_ms=50, log=print):
    """Rows of the sweep table and the raw samples; blocks until the lab lock is free.

    RTT_MS: after the rounds on loopback, the same variants through a relay adding this round trip
    (0: none).
    """
    raw = {'hosts': hosts, 'forks': FORKS, 'scenario': str(SCENARIO.relative_to(REPO)), 'rtt_ms': rtt_ms}
    with _LabLock(log) as lock:
        raw['lock_wait_seconds'] = lock.waited
        fleet = lab_fleet.Fleet(REPO / '.lab')
        try:
            log('sweep: starting a lab fleet of %d hosts (light mode)' % hosts)
            start = time.perf_counter()
            state = fleet.up(hosts=hosts, scenario_path=str(SCENARIO), light=True, lock_held=True)
            raw['fleet_up_seconds'] = time.perf_counter() - start
            sweep = _Sweep(fleet, state)
            raw['settings'] = sweep.settings()
            # Opens the SSH masters (ControlPersist) every linear run then reuses.
            sweep.ping()
            variants = [('ping', runs, sweep.ping), ('health.yml', runs, sweep.health),
                        ('runbook_commands.yml', runs, sweep.runbook)]
            if sweep.mitogen_env is not None:
                variants += [('ping, mitogen_linear', runs, _Guarded(lambda: sweep.ping(mitogen=True))),
                             ('health.yml, mitogen_linear', runs, _Guarded(lambda: sweep.health(mitogen=True)))]
            log('sweep: %d rounds side by side over %d hosts, forks %d' % (runs, hosts, FORKS))
            samples = side_by_side(variants, log)
            if rtt_ms:
                raw['delayed'] = _delayed(fleet, state, sweep, runs, rtt_ms, log)
        finally:
            fleet.down(quiet=True)
    raw['samples'] = samples
    rows = _rows(samples, hosts, raw)
    if rtt_ms:
        rows += _delayed_rows(raw['delayed'], samples, hosts, rtt_ms)
    return rows, raw


class _DelayRelay:
    """bench/delay_relay.py in front of every host's sshd, and an inventory that goes through it."""

    def __init__(self, fleet, state, rtt_ms):
        self.routes, self.addresses = [], {}
        port = state['ssh_port']
        for name, info in state['hosts'].items():
            relayed = RELAY_NET + info['address'].rsplit('.', 1)[1]
            self.routes.append('%s:%d=%s:%d' % (relayed, port, info['address'], port))
            self.addresses[name] = relayed
        self.rtt_ms = rtt_ms
        self.inventory = BUILD / 'bench' / ('inventory-rtt%d.yml' % rtt_ms)
        text = fleet.inventory_file.read_text()
        for name, info in state['hosts'].items():
            text = text.replace('ansible_host: %s\n' % info['address'], 'ansible_host: %s\n' % self.addresses[name])
        self.inventory.parent.mkdir(parents=True, exist_ok=True)
        self.inventory.write_text(text)
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, str(RELAY), '--delay-ms', str(self.rtt_ms / 2.0)] + self.routes,
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        if self.proc.stdout.readline().strip() != 'ready':
            self.__exit__()
            raise RuntimeError('the delay relay did not start')
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.inventory.unlink(missing_ok=True)
        return False


def _delayed(fleet, state, loopback, runs, rtt_ms, log):
    """The same variants over the relay: ping, health.yml, the command playbook, Mitogen's two."""
    with _DelayRelay(fleet, state, rtt_ms) as relay:
        sweep = _Sweep(fleet, state, inventory=relay.inventory, addresses=relay.addresses)
        sweep.ping()
        one = sorted(state['hosts'])[0]
        log('sweep: one host pinged at 0 and %d ms RTT' % rtt_ms)
        check = side_by_side([('one host, 0 ms', 3, lambda: loopback.ping(limit=one)),
                              ('one host, %d ms' % rtt_ms, 3, lambda: sweep.ping(limit=one))], log)
        variants = [('ping', runs, sweep.ping), ('health.yml', runs, sweep.health),
                    ('runbook_commands.yml', runs, sweep.runbook)]
        if sweep.mitogen_env is not None:
            variants += [('ping, mitogen_linear', runs, _Guarded(lambda: sweep.ping(mitogen=True))),
                         ('health.yml, mitogen_linear', runs, _Guarded(lambda: sweep.health(mitogen=True)))]
        log('sweep: %d rounds side by side at %d ms RTT' % (runs, rtt_ms))
        samples = side_by_side(variants, log)
    return {'check': check, 'samples': samples}


class _Guarded:
    """A variant whose failure is a result: a failed run gives {'seconds': None, 'error': ...}.

    Mitogen is not Ansible's own; a host it cannot reach in one round must not cost the rest of
    the table, and the next round tries again.
    """

    def __init__(self, function):
        self.function = function

    def __call__(self):
        try:
            return self.function()
        except RuntimeError as exc:
            # Logged now: the table only has room for its first words.
            sys.stderr.write('bench: %s\n' % exc)
            return {'seconds': None, 'error': str(exc)}


class _LabLock:
    """The lab lock, held for as long as a fleet of ours may run."""

    def __init__(self, log):
        self.log = log
        self.handle = None
        self.waited = 0.0

    def __enter__(self):
        self.handle = open(lab_fleet.LAB_LOCK, 'a')
        start = time.perf_counter()
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.log('sweep: a test session holds %s; waiting for it' % lab_fleet.LAB_LOCK)
            fcntl.flock(self.handle, fcntl.LOCK_EX)
        self.waited = time.perf_counter() - start
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
        return False


class _Sweep:
    """Runs over the fleet, each returning its wall time, its check and what each host was sent."""

    def __init__(self, fleet, state, inventory=None, addresses=None):
        self.inventory = str(inventory or fleet.inventory_file)
        # Every process of the lab hosts descends from a host's init, or is the shared MariaDB.
        self.lab_roots = [info['init_pid'] for info in state['hosts'].values()]
        if state.get('shared_mysql'):
            self.lab_roots.append(state['shared_mysql']['pid'])
        self.hosts = dict(((addresses or {}).get(name, info['address']), name) for name, info in state['hosts'].items())
        # LOAD_CALLBACK_PLUGINS: ad hoc `ansible` loads no callback but its stdout one without it.
        # TIMEOUT: fifty connections opened at once on two shared cores can take longer than the
        # default 10 s to answer (Mitogen's bootstrap most of all); a timed-out host is no measurement.
        self.env = ansible_env({'ANSIBLE_FORKS': str(FORKS), 'ANSIBLE_CALLBACK_PLUGINS': str(CALLBACKS),
                                'ANSIBLE_CALLBACKS_ENABLED': 'bench_calls', 'ANSIBLE_LOAD_CALLBACK_PLUGINS': '1',
                                'ANSIBLE_TIMEOUT': str(CONNECT_TIMEOUT)})
        strategies = mitogen_strategy_dir()
        self.mitogen_env = None
        if strategies:
            self.mitogen_env = dict(self.env, ANSIBLE_STRATEGY_PLUGINS=strategies,
                                    ANSIBLE_STRATEGY='mitogen_linear')

    def settings(self):
        """The settings in force, as ansible-config reads them from this environment."""
        _, proc = timed_run([str(VENV_BIN / 'ansible-config'), 'dump', '--only-changed', '-t', 'all'], env=self.env)
        wanted = {'DEFAULT_FORKS': 'forks', 'DEFAULT_GATHERING': 'gathering', 'DEFAULT_STRATEGY': 'strategy',
                  'pipelining': 'pipelining', 'ssh_args': 'ssh_args'}
        found = {'strategy': 'linear'}
        section = None
        for line in proc.stdout.splitlines():
            if line.endswith(':') and not line.startswith(' '):
                section = line[:-1].strip()
            key, _, value = line.partition(' = ')
            name = key.split('(')[0].strip()
            if name in wanted and (section in (None, 'ssh') or name.isupper()):
                found[wanted[name]] = value.strip()
        # Named from site-packages on: the rest is where this machine keeps its virtualenv.
        found['mitogen'] = 'mitogen_linear from site-packages/%s' % \
            self.mitogen_env['ANSIBLE_STRATEGY_PLUGINS'].split('site-packages/')[-1] \
            if self.mitogen_env else 'not installed'
        return found

    def _run(self, argv, mitogen):
        """Wall seconds, the process, and what the run cost: calls per host and CPU by side.

        CPU: the ansible process tree (controller, ssh clients included), the lab hosts' process
        trees (sshd, the modules and what they start, the shared MariaDB), and the rest of the
        machine (SSH masters, everyone else's work).
        """
        env = dict(self.mitogen_env if mitogen else self.env)
        with tempfile.NamedTemporaryFile(prefix='bench-calls-', suffix='.tsv') as calls:
            env['BENCH_CALLS_FILE'] = calls.name
            hosts_before, machine_before = tree_cpu_seconds(self.lab_roots), machine_busy_seconds()
            seconds, proc = timed_run(argv, env=env)
            hosts_cpu = tree_cpu_seconds(self.lab_roots) - hosts_before
            machine_cpu = machine_busy_seconds() - machine_before
            lines = Path(calls.name).read_text().splitlines()
        calls = self._per_host(lines)
        calls['cpu'] = {'controller': round(proc.cpu_seconds, 2), 'hosts': round(hosts_cpu, 2),
                        'rest': round(machine_cpu - proc.cpu_seconds - hosts_cpu, 2)}
        return seconds, proc, calls

    def _per_host(self, lines):
        """Module executions and raw commands per host, and those that ran on the controller."""
        modules, commands, controller = Counter(), Counter(), Counter()
        names = Counter()
        for line in lines:
            kind, *fields = line.split('\t')
            if kind not in ('module', 'command'):
                continue
            address, connection, module = fields
            if address in CONTROLLER_ADDRESSES or connection.endswith('local'):
                controller[kind] += 1
                continue
            host = self.hosts.get(address, address)
            (modules if kind == 'module' else commands)[host] += 1
            if kind == 'module':
                names[module] += 1
        return {'modules': dict(modules), 'commands': dict(commands), 'controller': dict(controller),
                'module_names': dict(names), 'tasks': _task_seconds(lines)}

    def ping(self, mitogen=False, limit=None):
        argv = [str(VENV_BIN / 'ansible'), limit or 'billmgr', '-i', self.inventory, '-m', 'ansible.builtin.ping']
        seconds, proc, calls = self._run(argv, mitogen)
        answered = set(_AD_HOC_OK.findall(proc.stdout))
        missing = sorted(set([limit] if limit else self.hosts.values()) - answered)
        if proc.returncode != 0 or missing:
            raise RuntimeError('ping failed on %s: %s' % (', '.join(missing) or 'no host', proc.stdout[-3000:]))
        return {'seconds': seconds, 'calls': calls}

    def health(self, mitogen=False):
        report_dir = Path(tempfile.mkdtemp(prefix='bench-reports-'))
        try:
            argv = [str(VENV_BIN / 'ansible-playbook'), '-i', self.inventory, str(HEALTH),
                    '-e', json.dumps({'billmgr_report_dir': str(report_dir), 'billmgr_health_fail_on': 'never'})]
            seconds, proc, calls = self._run(argv, mitogen)
            self._check_recap(proc, 'health.yml')
            report = json.loads((report_dir / 'latest' / 'report.json').read_text())
        finally:
            shutil.rmtree(report_dir, ignore_errors=True)
        findings = dict((host['host'], sorted('%s:%s' % (item['id'], item['severity']) for item in host['findings']))
                        for host in report['hosts'])
        return {'seconds': seconds, 'calls': calls, 'findings': findings}

    def runbook(self):
        argv = [str(VENV_BIN / 'ansible-playbook'), '-i', self.inventory, str(RUNBOOK)]
        seconds, proc, calls = self._run(argv, False)
        self._check_recap(proc, 'runbook_commands.yml')
        return {'seconds': seconds, 'calls': calls}

    def _check_recap(self, proc, name):
        recap = dict((host, tuple(int(n) for n in counts)) for host, *counts in _RECAP.findall(proc.stdout))
        bad = [host for host in self.hosts.values()
               if host not in recap or recap[host][1:] != (0, 0, 0)]
        if proc.returncode != 0 or bad:
            raise RuntimeError('%s: rc %d, hosts not ok with changed=0: %s\n%s'
                               % (name, proc.returncode, ', '.join(bad), proc.stdout[-3000:]))


# ---------------------------------------------------------------- the table
def _rows(all_samples, hosts, raw):
    samples = dict((name, [value for value in values if value['seconds'] is not None])
                   for name, values in all_samples.items())
    failed = dict((name, values[0]['error']) for name, values in all_samples.items()
                  if values and not samples[name])
    m = dict((name, median(seconds_of(values))) for name, values in samples.items() if values)
    cpu = dict((name, _median_cpu(values)) for name, values in samples.items() if values)
    rows = [
        speedup(GROUP, 'health.yml (linear) over %d hosts' % hosts, m['health.yml'], 'runbook_commands.yml',
                m['runbook_commands.yml'], HEALTH_SPEEDUP,
                note='CPU of a run (core-seconds, median): %s' % '; '.join(
                    '%s %s' % (name, _cpu_text(cpu[name])) for name in ('health.yml', 'runbook_commands.yml'))),
        speedup(GROUP, '`ansible -m ping` over %d hosts: the ceiling of the row above' % hosts, m['ping'],
                'runbook_commands.yml', m['runbook_commands.yml'], None,
                note='a sweep makes at least one module round trip per host, so it cannot beat a ping: on this '
                     'machine no sweep can be faster than the command playbook by more than this'),
        at_most_ratio(GROUP, 'health.yml (linear) over %d hosts' % hosts, m['health.yml'], '`ansible -m ping`',
                      m['ping'], HEALTH_PER_PING,
                      note='where the time goes: %s. CPU: ping %s. The lab hosts run on the controller\'s '
                           '2 cores, so their CPU is on the controller\'s clock here; on a real fleet each server '
                           'spends its own' % (_slowest_tasks(samples['health.yml'][0]['calls']['tasks']),
                                               _cpu_text(cpu['ping']))),
        _per_host_cpu_row('controller CPU per host', 'controller', cpu, hosts),
        _per_host_cpu_row('lab host CPU per host', 'hosts', cpu, hosts),
    ]
    if 'health.yml, mitogen_linear' in m and 'ping, mitogen_linear' in m:
        rows.append(at_most_ratio(GROUP, 'health.yml (mitogen_linear)', m['health.yml, mitogen_linear'],
                                  '`ansible -m ping` (mitogen_linear)', m['ping, mitogen_linear'], None,
                                  note='CPU: health.yml %s; ping %s' % (
                                      _cpu_text(cpu['health.yml, mitogen_linear']),
                                      _cpu_text(cpu['ping, mitogen_linear']))))
    if 'health.yml, mitogen_linear' in m:
        rows.append(speedup(GROUP, 'health.yml (mitogen_linear)', m['health.yml, mitogen_linear'],
                            'health.yml (linear)', m['health.yml'], MITOGEN_SPEEDUP))
    if 'ping, mitogen_linear' in m:
        rows.append(speedup(GROUP, '`ansible -m ping` (mitogen_linear)', m['ping, mitogen_linear'],
                            '`ansible -m ping` (linear)', m['ping'], None))
    # A variant that failed is a row of its own with its reason, beside whatever did run.
    rows += [Row(GROUP, name, 'failed', note=' '.join(error.split())[:300]) for name, error in failed.items()]
    if 'health.yml, mitogen_linear' not in all_samples:
        rows.append(Row(GROUP, 'health.yml (mitogen_linear)', 'skipped', note='mitogen is not installed'))
    # Every round of every strategy must find the same: a measurement that depends on the load
    # (as the clock skew once did) shows here.
    rows.append(_same_findings(samples))
    rows.append(_calls_row(samples, hosts))
    rows.append(Row(GROUP, 'lab fleet start (%d hosts, light mode)' % hosts, '%.1f s' % raw['fleet_up_seconds'],
                    note='not part of any ratio; waited %.0f s for the lab lock' % raw['lock_wait_seconds']))
    return rows


def _delayed_rows(delayed, loopback, hosts, rtt_ms):
    """The rows at RTT_MS: the relay's check, health.yml against ping, Mitogen against linear."""
    check = dict((name, median(seconds_of(values))) for name, values in delayed['check'].items())
    near, far = check['one host, 0 ms'], check['one host, %d ms' % rtt_ms]
    grown = far - near
    rows = [Row(GROUP, 'relay check: one host\'s ping at %d ms RTT' % rtt_ms, '%.3f s' % far,
                'at 0 ms %.3f s' % near, None, 'grows by ≥ 1 RTT (%d ms)' % rtt_ms, grown >= rtt_ms / 1000.0,
                note='grew by %.0f ms: a pipelined module call over a warm SSH master is at least one round '
                     'trip (bench/delay_relay.py holds every byte %.0f ms each way)' % (grown * 1000, rtt_ms / 2.0))]
    samples = dict((name, [value for value in values if value['seconds'] is not None])
                   for name, values in delayed['samples'].items())
    m = dict((name, median(seconds_of(values))) for name, values in samples.items() if values)
    at = ' at %d ms RTT' % rtt_ms
    rows += [
        at_most_ratio(GROUP, 'health.yml (linear)%s' % at, m['health.yml'], '`ansible -m ping`%s' % at, m['ping'],
                      HEALTH_PER_PING, note='where the time goes: %s' % _slowest_tasks(
                          samples['health.yml'][0]['calls']['tasks'])),
        speedup(GROUP, 'health.yml (linear)%s' % at, m['health.yml'], 'runbook_commands.yml%s' % at,
                m['runbook_commands.yml'], None),
        at_most_ratio(GROUP, '`ansible -m ping`%s' % at, m['ping'], '`ansible -m ping` on loopback',
                      median(seconds_of(loopback['ping'])), None),
    ]
    if m.get('health.yml, mitogen_linear') is None:
        rows.append(Row(GROUP, 'health.yml (mitogen_linear)%s' % at, 'failed or skipped'))
    else:
        rows.append(speedup(GROUP, 'health.yml (mitogen_linear)%s' % at, m['health.yml, mitogen_linear'],
                            'health.yml (linear)%s' % at, m['health.yml'], MITOGEN_SPEEDUP))
    reached = dict((name, [value for value in values if value['seconds'] is not None])
                   for name, values in loopback.items())
    rows.append(_same_findings(dict(reached, **dict(('%s%s' % (name, at), values)
                                                    for name, values in samples.items())),
                               extra=[('health.yml%s' % at, 'linear%s' % at),
                                      ('health.yml, mitogen_linear%s' % at, 'mitogen_linear%s' % at)]))
    return rows


def _median_cpu(values):
    return dict((side, median([value['calls']['cpu'][side] for value in values]))
                for side in ('controller', 'hosts', 'rest'))


def _cpu_text(cpu):
    return 'controller %.1f, lab hosts %.1f, rest of the machine %.1f' % (cpu['controller'], cpu['hosts'], cpu['rest'])


def _per_host_cpu_row(measure, side, cpu, hosts):
    """Core-seconds per host on one side, health.yml against ping (for docs/scale.md)."""
    value, against = cpu['health.yml'][side] / hosts, cpu['ping'][side] / hosts
    row = at_most_ratio(GROUP, '%s, health.yml (linear)' % measure, value, 'ping', against, None)
    row.measured, row.against = '%.3f core-s' % value, 'ping %.3f core-s' % against
    return row


def _slowest_tasks(tasks, count=3):
    """The tasks that took longest, with their controller CPU: '<name> 25.1 s (CPU 9.0 s)'."""
    ranked = sorted(tasks, key=lambda task: -task[1])[:count]
    total = sum(task[1] for task in tasks)
    return ', '.join('%s %.1f s (controller CPU %.1f s)' % (name.split(' : ')[-1], wall, cpu)
                     for name, wall, cpu in ranked) + ' of %.1f s in tasks' % total


def _same_findings(samples, extra=()):
    """Findings of every health run, each round and strategy against the first, on the hosts all reached.

    A host a run could not reach is named apart: that is the connection, not the findings.
    EXTRA: more (variant, label) pairs of SAMPLES to compare (the runs over the delay relay).
    """
    runs = []
    for variant, strategy in (('health.yml', 'linear'), ('health.yml, mitogen_linear', 'mitogen_linear')) + tuple(extra):
        runs += [('%s round %d' % (strategy, number), sample['findings'])
                 for number, sample in enumerate(samples.get(variant, []), 1)]
    unreachable = set()
    for name, findings in runs:
        unreachable.update('%s (%s)' % (host, name) for host, items in findings.items() if 'unreachable:critical' in items)
    reached = set.intersection(*[set(host for host, items in findings.items() if 'unreachable:critical' not in items)
                                 for _, findings in runs])
    first_name, first = runs[0]
    differences = ['%s in %s: %s, in %s: %s' % (host, name, ', '.join(findings.get(host, [])) or 'none', first_name,
                                                 ', '.join(first.get(host, [])) or 'none')
                   for name, findings in runs[1:] for host in sorted(reached) if findings.get(host) != first.get(host)]
    counted = sum(len(first[host]) for host in reached)
    notes = []
    if differences:
        notes.append('differ: %s' % '; '.join(differences[:10]))
    if unreachable:
        notes.append('unreachable in some run: %s' % ', '.join(sorted(unreachable)))
    return Row(GROUP, 'health.yml findings, every round and strategy (%d runs)' % len(runs),
               'DIFFERENT' if differences else 'same',
               '%d findings on the %d hosts every run reached' % (counted, len(reached)), None,
               'the same findings', not differences, note='. '.join(notes))


def _calls_row(samples, hosts):
    """Module executions and raw commands per host of the first run of each variant."""
    parts, data = [], {}
    for name, values in samples.items():
        if not values:
            continue
        calls = values[0]['calls']
        modules = _per_host_range(calls['modules'], hosts)
        commands = _per_host_range(calls['commands'], hosts)
        data[name] = {'modules_per_host': modules, 'commands_per_host': commands,
                      'controller': calls['controller'], 'module_names': calls['module_names']}
        if name != 'health.yml':
            parts.append('%s: %s module(s)%s' % (name, modules, ', %s raw command(s)' % commands
                                                 if 'mitogen' not in name else ''))
    health = data['health.yml']['modules_per_host']
    worst = int(str(health).split('-')[-1])
    controller = data['health.yml']['controller']
    return Row(GROUP, 'module calls per host, health.yml', '%s (%s raw command(s))'
               % (health, data['health.yml']['commands_per_host']), '; '.join(parts),
               None, '≤ %d per host' % MAX_CALLS_PER_HOST, worst <= MAX_CALLS_PER_HOST,
               note='per host: %s; plus on the controller, once per sweep: %d module run(s) (the report role)'
                    % (', '.join('%s ×%d' % (name, count // hosts) for name, count
                                 in data['health.yml']['module_names'].items()), controller.get('module', 0)),
               data=data)


def _task_seconds(lines):
    """[(task name, wall seconds, controller CPU seconds)] in play order.

    A task lasts from its start to the next one's (linear strategy).
    """
    marks = []
    for line in lines:
        kind, *fields = line.split('\t')
        if kind == 'task':
            marks.append((float(fields[0]), float(fields[1]), fields[2]))
        elif kind == 'end':
            marks.append((float(fields[0]), float(fields[1]), None))
    return [(name, round(end - start, 3), round(cpu_end - cpu, 3))
            for (start, cpu, name), (end, cpu_end, _) in zip(marks, marks[1:]) if name]


def _per_host_range(counts, hosts):
    """'N' when every host got N, 'LOW-HIGH' otherwise (a host with none counts as 0)."""
    values = list(counts.values()) + [0] * (hosts - len(counts))
    low, high = min(values), max(values)
    return str(low) if low == high else '%d-%d' % (low, high)
