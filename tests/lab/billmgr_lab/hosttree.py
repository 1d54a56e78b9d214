"""One lab host's content: the mgr root tree, its lab state, and the HostPlan the fleet runs it from.

build_host() writes host_dir/mgr5 (bind-mounted at /usr/local/mgr5 by the fleet) without root and
without namespaces, and returns what the fleet must set up around it: /etc/os-release, root's
crontab, the clock, the size of var/, and the database.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from . import dbseed, providerapi
from .loggen.lines import set_mtime, stamp

STAND_INS = Path(__file__).resolve().parent.parent / 'stand_ins'
# Where each stand-in goes in the tree; lab/boot sits one level down like the others, so every
# program finds the mgr root as the parent of its own directory.
PROGRAMS = {
    'sbin/mgrctl': 'mgrctl.py',
    'sbin/licctl': 'licctl.py',
    'sbin/ihttpd': 'ihttpd.py',
    'sbin/cron-billmgr': 'cron_billmgr.py',
    'bin/core': 'core.py',
    'lab/boot': 'boot.py',
    'sbin/provider_api': 'provider_api.py',
    # Not on PATH: a host runs modules with it only when its ansible_python_interpreter says so.
    'lab/python36': 'python36.sh',
}
LIBRARY = ('labhost.py', 'mgrfuncs.py', 'mgrout.py')
MGR_MOUNT = '/usr/local/mgr5'
MANAGER = 'billmgr'
VERSION = '6.112.0'
YEAR_BOUNDARY_LAST_DAY = 20
LICENSE_EXPIRED_DAYS_AGO = 12

ALMALINUX_9 = '''NAME="AlmaLinux"
VERSION="9.4 (Seafoam Ocelot)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:9::baseos"
HOME_URL="https://almalinux.org/"
DOCUMENTATION_URL="https://wiki.almalinux.org/"
BUG_REPORT_URL="https://bugs.almalinux.org/"
REDHAT_SUPPORT_PRODUCT="AlmaLinux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.4"
'''

DEBUG_CONF_HEAD = '''# Log levels: 1 notes, 2 critical, 3 errors, 4 warnings, 5 requests, 6 extended info,
# 7 remote services, 8 code trace, 9 debug. Restart the panel after a change.
'''


@dataclass
class DbSettings:
    host: str = 'localhost'
    name: str = 'billmgr'
    user: str = 'billmgr'
    password: str = ''
    socket: str | None = None  # lab only: a server on another socket than the client's default


@dataclass
class HostPlan:
    name: str
    mgr_root: Path
    os_release: str
    crontab: str
    clock_skew: int
    var_used_pct: int | None
    var_inodes_pct: int | None
    db: DbSettings
    db_up: bool
    schema_sql: str
    seed_sql: str


def host_clock(spec, now: datetime | None = None) -> tuple[datetime, int]:
    """(the host's clock, seconds added to reach it from NOW) for SPEC.

    A host whose logs must cross New Year needs its clock in early January; it is moved there.
    """
    if now is None:
        now = datetime.now() + timedelta(seconds=spec.clock_skew)
    now = now.replace(microsecond=0)
    if spec.settings.get('log_year_boundary') and not (now.month == 1 and now.day <= YEAR_BOUNDARY_LAST_DAY):
        moved = datetime(now.year + 1, 1, 10, now.hour, now.minute, now.second)
        return moved, int((moved - now).total_seconds())
    return now, 0


def build_host(spec, fleet, host_dir: Path, db: DbSettings, now: datetime | None = None) -> HostPlan:
    now, moved = host_clock(spec, now)
    mgr_root = Path(host_dir) / 'mgr5'
    _clear(mgr_root)
    seed = dbseed.build_seed(spec, fleet, now)
    rng = random.Random(f'billmgr-lab:{fleet.seed}:{spec.index}:tree')
    license_id = rng.randint(100000, 999999)
    _install_programs(mgr_root)
    _write_etc(mgr_root, spec, db)
    _write_lab_state(mgr_root, spec, db, now, license_id)
    # What the fake payment gateway has as paid: the only in-pay payments checkpay settles.
    _write(mgr_root / 'lab' / 'gateway.json', json.dumps({'paid': seed.gateway_paid}, indent=1) + '\n')
    if spec.role == 'provider':
        # The API its resellers read it over (stand_ins/provider_api.py); lab/boot starts it.
        _write(mgr_root / 'lab' / 'provider_api.json', json.dumps(providerapi.state(fleet, spec), indent=1) + '\n', 0o600)
    var = mgr_root / 'var'
    (var / 'run').mkdir(parents=True)
    write_logs(var, spec, fleet, now, seed)
    _write_licctl_log(var / 'licctl.log', spec, now, license_id, rng)
    return HostPlan(
        name=spec.name,
        mgr_root=mgr_root,
        os_release=os_release_text(spec.fault('os_unsupported')),
        crontab=crontab_text(spec),
        clock_skew=spec.clock_skew + moved,
        var_used_pct=spec.fault('disk_pressure'),
        var_inodes_pct=spec.fault('inode_pressure'),
        db=db,
        db_up=not spec.fault('db_down'),
        schema_sql=dbseed.schema_sql(spec.settings['schema']),
        seed_sql=dbseed.render_inserts(seed.tables, variant=spec.settings['schema']),
    )


def _clear(mgr_root: Path):
    if not mgr_root.exists():
        return
    if not (mgr_root / 'lab' / 'host.json').exists() and any(mgr_root.iterdir()):
        raise FileExistsError(f'{mgr_root} exists and is not a lab host tree; not deleting it')
    shutil.rmtree(mgr_root)


def _write(path: Path, text: str, mode: int = 0o644):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        os.fchmod(handle.fileno(), mode)
        handle.write(text)


def _install_programs(mgr_root: Path):
    for target, source in PROGRAMS.items():
        _write(mgr_root / target, (STAND_INS / source).read_text(encoding='utf-8'), 0o755)
    for module in LIBRARY:
        _write(mgr_root / 'lib' / 'lab' / module, (STAND_INS / module).read_text(encoding='utf-8'))


def debug_conf_text(spec) -> str:
    colour = 'on' if spec.settings.get('log_color') else 'off'
    left_on = spec.fault('debug_left_on')
    lines = [DEBUG_CONF_HEAD, f'SET color={colour}\n', '* 6\n', '*.db 6\n',
             '# payments team: fewer lines from the provider module\n',
             f'pmbillmgr.* {9 if left_on == "pmbillmgr" else 4}\n']
    if left_on and left_on != 'pmbillmgr':
        lines.append(f'{left_on}.* 9\n')
    return ''.join(lines)


def _write_etc(mgr_root: Path, spec, db: DbSettings):
    etc = mgr_root / 'etc'
    _write(etc / 'debug.conf', debug_conf_text(spec))
    _write(etc / f'{MANAGER}.conf', f'# BILLmanager settings of {spec.name}; the database is in '
                                    f'{MANAGER}.conf.d/db.conf\nLang en\n')
    _write(etc / f'{MANAGER}.conf.d' / 'db.conf',
           f'DBHost {db.host}\nDBUser {db.user}\nDBPassword {db.password}\nDBName {db.name}\n', 0o600)
    if spec.fault('maintenance_mode'):
        _write(etc / f'{MANAGER}.DoNothing', '')


def license_state(spec, now: datetime, license_id: int) -> dict:
    if spec.fault('license_unlinked'):
        return {'id': 0, 'product': MANAGER}
    if spec.fault('license_expired'):
        expire = now.date() - timedelta(days=LICENSE_EXPIRED_DAYS_AGO)
    elif 'license_expiring' in spec.faults:
        expire = now.date() + timedelta(days=spec.faults['license_expiring'])
    else:
        expire = now.date() + timedelta(days=180 + license_id % 180)
    return {'id': license_id, 'product': MANAGER, 'type': 'commercial', 'expire': expire.isoformat()}


def _write_lab_state(mgr_root: Path, spec, db: DbSettings, now: datetime, license_id: int):
    lab = mgr_root / 'lab'
    lic = license_state(spec, now, license_id)
    settings = {
        'host': spec.name,
        'manager': MANAGER,
        'version': spec.settings.get('platform_version', VERSION),
        'restart_delay': spec.settings['restart_delay'],
        'hang': bool(spec.fault('mgrctl_hang')),
        'restart_fails': bool(spec.fault('restart_fails')),
        'license_fetch_fails': bool(spec.fault('license_fetch_fails')),
        'license_id': license_id,
        'db_socket': db.socket,
    }
    platform = {'up': not spec.fault('platform_down'), 'blocked': False, 'broken': False, 'restarts': [],
                'restart_until': 0}
    described = {'name': spec.name, 'index': spec.index, 'role': spec.role, 'provider': spec.provider,
                 'faults': spec.faults, 'settings': spec.settings, 'built_for': now.isoformat()}
    for name, data in (('settings', settings), ('platform', platform), ('license', lic), ('host', described)):
        _write(lab / f'{name}.json', json.dumps(data, indent=1, sort_keys=True) + '\n')
    (lab / 'run').mkdir(mode=0o700)
    if lic['id']:
        _write(mgr_root / 'etc' / f'{MANAGER}.lic', _load_labhost().license_file_text(lic), 0o600)


def _load_labhost():
    """The stand-ins' shared module, loaded on the controller so both sides write a file one way."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('_lab_stand_in_labhost', STAND_INS / 'labhost.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_licctl_log(path: Path, spec, now: datetime, license_id: int, rng: random.Random):
    """Daily license checks; `Got` lines only where a trial was once taken (trial_used)."""
    lic = license_state(spec, now, license_id)
    records = []  # (when, pid, level, message); one licctl run is one pid
    pid = rng.randint(2000, 60000)
    if spec.fault('trial_used'):
        when = now - timedelta(days=9, hours=rng.randint(1, 20))
        records.append((when, pid - 1, 'INFO', f'Got trial license ID {license_id - 1} for {MANAGER}, '
                                               f'expire {(when + timedelta(days=14)).date()}'))
    for days_ago in range(6, 0, -1):
        pid += rng.randint(50, 900)
        when = (now - timedelta(days=days_ago)).replace(hour=3, minute=rng.randint(0, 9), second=rng.randint(0, 59))
        records.append((when, pid, 'INFO', f'Checking license for {MANAGER}'))
        when += timedelta(seconds=1)
        if not lic['id']:
            records.append((when, pid, 'WARNING', f'No license is linked to this server for {MANAGER}'))
        elif lic['expire'] < when.date().isoformat():
            records.append((when, pid, 'ERROR', f'License ID {lic["id"]} expired on {lic["expire"]}'))
        else:
            records.append((when, pid, 'INFO', f'License ID {lic["id"]} is valid till {lic["expire"]}'))
    records.sort(key=lambda record: record[0])
    text = ''.join(f'{stamp(when)} [{pid}:1] licctl {level} {message}\n' for when, pid, level, message in records)
    _write(path, text)
    set_mtime(path, records[-1][0])


def os_release_text(unsupported) -> str:
    if not unsupported:
        return ALMALINUX_9
    version = unsupported['version_id']
    pretty = unsupported['pretty_name']
    name = pretty.split(f' {version}')[0] if f' {version}' in pretty else pretty
    return (f'NAME="{name}"\nVERSION="{pretty[len(name):].strip() or version}"\nID="{unsupported["id"]}"\n'
            f'VERSION_ID="{version}"\nPRETTY_NAME="{pretty}"\n')


def crontab_text(spec) -> str:
    lines = ['# BILLmanager scheduled tasks', '# m h dom mon dow command']
    if not spec.fault('checkevent_missing'):
        if spec.settings.get('checkevent_form') == 'wrapper':
            command = f'{MGR_MOUNT}/sbin/cron-billmgr sbin/mgrctl -m {MANAGER} checkevent'
        else:
            command = f'{MGR_MOUNT}/sbin/mgrctl -m {MANAGER} checkevent'
        # The shape of runbook 001: its comment line, then the schedule and a tab before the command.
        lines.append('## BILLmanager get item events from remote BILLmanager')
        minutes = spec.settings.get('checkevent_minutes', 5)
        schedule = '0 * * * *' if minutes == 60 else f'*/{minutes} * * * *'
        lines.append(f'{schedule}\t{command} >/dev/null 2>&1')
    return '\n'.join(lines) + '\n'


def write_logs(var: Path, spec, fleet, now: datetime, seed) -> dict:
    """The host's var/ logs through the lab's log generator (tests/lab/billmgr_lab/loggen/)."""
    try:
        from . import loggen
    except ImportError as exc:
        if exc.name not in (f'{__package__}.loggen', 'loggen'):
            raise
        raise ImportError(f'{__package__}.loggen is missing: the log generator (another part of the lab) '
                          'writes every host\'s var/ logs, and build_host cannot run without it') from exc
    settings = spec.settings
    plan = loggen.LogPlan(
        now=now,
        seed=fleet.seed * 1000 + spec.index,
        size_bytes=settings['log_size'],
        color=settings['log_color'],
        module_logs_utc=settings['module_logs_utc'],
        year_boundary=settings['log_year_boundary'],
        rotated_archives=settings['rotated_archives'],
        error_burst=spec.fault('error_burst', 0),
        early_stops=[loggen.EarlyStop(item=stop.item, reason=stop.reason, amount=stop.amount, have=stop.have,
                                      currency=stop.currency, deficit=stop.deficit, limit=stop.limit)
                     for stop in seed.early_stops],
        billdaily_items=list(seed.active_items),
        payment_modules=list(seed.module_logs),
    )
    return loggen.write_logs(var, plan)
