"""Every fault and setting a lab host can be given: one table for validation and for the docs.

A fault breaks something the collection must find or fix; a setting only shapes the host (log size,
cron form, ...). Each entry says what value it takes, what `true` stands for and what it does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

ROLES = ('standalone', 'reseller', 'provider')

DAY = 86400
# A log name as the platform writes it; it becomes `NAME.* 9` in debug.conf and var/NAME.log.
LOG_NAME_RE = re.compile(r'^[a-z][a-z0-9_.-]{0,63}$')
# Values of os-release keys: no quotes, no newlines, nothing that needs escaping.
OS_VALUE_RE = re.compile(r'^[A-Za-z0-9 ._()/+-]{1,80}$')
SIZE_RE = re.compile(r'^(\d{1,10})([KMG]?)$')
SIZE_UNITS = {'': 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3}
# A platform version as `core billmgr -v` prints it.
VERSION_RE = re.compile(r'^[0-9]{1,3}(\.[0-9]{1,5}){1,3}$')

CENTOS_7 = {'id': 'centos', 'version_id': '7', 'pretty_name': 'CentOS Linux 7 (Core)'}


class OptionError(ValueError):
    """A value an option does not take; the message says what it takes."""


@dataclass(frozen=True)
class Option:
    name: str
    kind: str  # 'fault' or 'setting'
    type: str  # bool, int, float, size, choice, bool_or_log, bool_or_os, version
    description: str
    when_true: Any = None  # faults: what `true` stands for
    default: Any = None  # settings: the value when not given
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple = ()
    roles: tuple = ROLES
    reseller_default: Any = None  # settings whose default differs on a reseller

    def default_for(self, role: str) -> Any:
        if role == 'reseller' and self.reseller_default is not None:
            return self.reseller_default
        return self.default

    def resolve(self, value: Any) -> Any:
        """The value as the lab uses it; None for a fault that is off (false, 0)."""
        checker = _CHECKERS[self.type]
        resolved = checker(self, value)
        if self.kind == 'fault' and (resolved is False or resolved == 0):
            return None
        return resolved

    def takes(self) -> str:
        """What the option takes, for error messages and the docs."""
        if self.type == 'bool':
            return 'true or false'
        if self.type in ('int', 'float'):
            what = 'an integer' if self.type == 'int' else 'a number'
            return f'{what} from {_num(self.minimum)} to {_num(self.maximum)}' + (
                ' or true' if self.when_true is not None else '')
        if self.type == 'size':
            return 'a size such as 64K, 256K, 10M or 1G'
        if self.type == 'choice':
            return ' or '.join(self.choices)
        if self.type == 'bool_or_log':
            return 'true, false or a log name such as pmvmmgr6'
        if self.type == 'version':
            return 'a version such as 6.112.0 (quoted)'
        return 'true, false or a mapping {id, version_id, pretty_name}'


def _num(value):
    return int(value) if float(value).is_integer() else value


def _check_bool(option, value):
    if isinstance(value, bool):
        return value
    raise OptionError(f'takes {option.takes()}, not {value!r}')


def _check_number(option, value):
    if isinstance(value, bool):
        if option.kind == 'fault':
            return option.when_true if value else False
        raise OptionError(f'takes {option.takes()}, not {value!r}')
    allowed = (int,) if option.type == 'int' else (int, float)
    if not isinstance(value, allowed):
        raise OptionError(f'takes {option.takes()}, not {value!r}')
    if not option.minimum <= value <= option.maximum:
        raise OptionError(f'{value!r} is out of range: it takes {option.takes()}')
    return float(value) if option.type == 'float' else value


def _check_size(option, value):
    if isinstance(value, int) and not isinstance(value, bool):
        number, unit = value, ''
    else:
        match = SIZE_RE.match(value) if isinstance(value, str) else None
        if match is None:
            raise OptionError(f'takes {option.takes()}, not {value!r}')
        number, unit = int(match.group(1)), match.group(2)
    size = number * SIZE_UNITS[unit]
    if not option.minimum <= size <= option.maximum:
        raise OptionError(f'{value!r} is out of range: from 4K to 2G')
    return size


def _check_choice(option, value):
    if value in option.choices:
        return value
    raise OptionError(f'takes {option.takes()}, not {value!r}')


def _check_bool_or_log(option, value):
    if isinstance(value, bool):
        return option.when_true if value else False
    if isinstance(value, str) and LOG_NAME_RE.match(value) and '..' not in value:
        return value[:-4] if value.endswith('.log') else value
    raise OptionError(f'takes {option.takes()}, not {value!r}')


def _check_bool_or_os(option, value):
    if isinstance(value, bool):
        return dict(option.when_true) if value else False
    if not isinstance(value, dict):
        raise OptionError(f'takes {option.takes()}, not {value!r}')
    if set(value) != set(CENTOS_7):
        raise OptionError(f'a mapping needs exactly the keys id, version_id, pretty_name, not {sorted(value)}')
    resolved = {}
    for key, item in value.items():
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not OS_VALUE_RE.match(item):
            raise OptionError(f'{key} must be a quoted string of letters, digits, spaces and ._()/+-, '
                              f'not {item!r}')
        resolved[key] = item
    return resolved


def _check_version(option, value):
    if isinstance(value, str) and VERSION_RE.match(value):
        return value
    raise OptionError(f'takes {option.takes()}, not {value!r}')


_CHECKERS = {'bool': _check_bool, 'int': _check_number, 'float': _check_number, 'size': _check_size,
             'choice': _check_choice, 'bool_or_log': _check_bool_or_log, 'bool_or_os': _check_bool_or_os,
             'version': _check_version}

FAULTS = (
    Option('license_unlinked', 'fault', 'bool', 'no license is linked: `licctl info` says `ID: 0`, no etc/billmgr.lic',
           when_true=True),
    Option('license_expiring', 'fault', 'int', 'the license expires in this many days', when_true=5,
           minimum=0, maximum=365),
    Option('license_expired', 'fault', 'bool', 'the license expired 12 days ago', when_true=True),
    Option('trial_used', 'fault', 'bool', 'var/licctl.log shows a trial license was got once', when_true=True),
    Option('license_fetch_fails', 'fault', 'bool', '`licctl fetch` prints "Failed to get license" and exits 1',
           when_true=True),
    Option('os_unsupported', 'fault', 'bool_or_os', "/etc/os-release names an OS the platform does not support",
           when_true=CENTOS_7),
    Option('clock_skew', 'fault', 'int', "the host's clock is off by this many seconds (signed)", when_true=5400,
           minimum=-400 * DAY, maximum=400 * DAY),
    Option('disk_pressure', 'fault', 'int', 'the filesystem of var/ is this many percent full', when_true=97,
           minimum=0, maximum=100),
    Option('inode_pressure', 'fault', 'int', 'the filesystem of var/ has this many percent of inodes used',
           when_true=98, minimum=0, maximum=100),
    Option('platform_down', 'fault', 'bool', 'core is not running and mgrctl gets no answer until `mgrctl -R`',
           when_true=True),
    Option('maintenance_mode', 'fault', 'bool', 'etc/billmgr.DoNothing exists: billing functions do nothing',
           when_true=True),
    Option('payments_stuck', 'fault', 'int', 'this many payments sit in status 2 (in pay) for more than 6 hours',
           when_true=3, minimum=0, maximum=200),
    Option('checkevent_missing', 'fault', 'bool', "root's crontab has no checkevent line", when_true=True),
    Option('debug_left_on', 'fault', 'bool_or_log', 'debug.conf keeps `NAME.* 9` for this log (true: billmgr)',
           when_true='billmgr'),
    Option('error_burst', 'fault', 'int', 'billmgr.log got this many ERROR records in the last hour, in one thread',
           when_true=25, minimum=0, maximum=100000),
    Option('early_stop_money', 'fault', 'int', 'this many services were stopped early for not_enough_money',
           when_true=1, minimum=0, maximum=50),
    Option('early_stop_addon', 'fault', 'int', 'this many services were stopped early for stat_addon_over_limit',
           when_true=1, minimum=0, maximum=50),
    Option('drift', 'fault', 'int', 'this many items of the reseller differ from the provider in status or expiry',
           when_true=2, minimum=0, maximum=50, roles=('reseller',)),
    Option('provider_api_refuses', 'fault', 'bool', "the password stored for the reseller's provider module is "
           "wrong: the provider's API refuses the login", when_true=True, roles=('reseller',)),
    Option('mgrctl_hang', 'fault', 'bool', 'every mgrctl call sleeps forever', when_true=True),
    Option('db_down', 'fault', 'bool', "the host's database server is not started", when_true=True),
    Option('restart_fails', 'fault', 'bool', 'after `mgrctl -R` the platform never answers again', when_true=True),
    Option('kernel_errors', 'fault', 'int', "the host's kernel ring buffer (`dmesg`) has this many recent "
           'EXT4-fs error lines', when_true=3, minimum=0, maximum=100),
    # The panel (issue 15): billmgr_lab/panel.py writes what they shape.
    Option('panel_down', 'fault', 'bool', 'ihttpd fails to start: nothing answers on port 1500 while mgrctl does',
           when_true=True),
    Option('panel_cert_expiring', 'fault', 'int', "the panel's certificate expires in this many days "
           '(negative: expired that many days ago)', when_true=5, minimum=-365, maximum=365),
    Option('panel_cert_wrong_name', 'fault', 'bool', "the panel's certificate names another host "
           '(panel.wrong-name.invalid)', when_true=True),
)

SETTINGS = (
    Option('log_size', 'setting', 'size', 'about how large var/billmgr.log is', default=256 * 1024,
           minimum=4 * 1024, maximum=2 * 1024 ** 3),
    Option('log_color', 'setting', 'bool', 'log lines carry ANSI colour codes (debug.conf `SET color=on`)',
           default=False),
    Option('log_year_boundary', 'setting', 'bool',
           "the logs cross New Year; the host's clock moves to 10 January unless it is early January",
           default=False),
    Option('module_logs_utc', 'setting', 'bool',
           "modules written with the vendor's current PHP helper stamp their logs in UTC, not local time",
           default=False),
    Option('rotated_archives', 'setting', 'int', 'how many compressed archives of billmgr.log var/logs/ holds',
           default=1, minimum=0, maximum=20),
    Option('checkevent_form', 'setting', 'choice', 'the crontab checkevent line: plain mgrctl or via cron-billmgr',
           default='plain', choices=('plain', 'wrapper')),
    Option('restart_delay', 'setting', 'float', 'seconds the platform does not answer after `mgrctl -R`',
           default=2.0, minimum=0, maximum=600),
    Option('itemevent_backlog', 'setting', 'int', 'itemevent rows waiting for checkevent (4 on a reseller)',
           default=0, reseller_default=4, minimum=0, maximum=500),
    Option('schema', 'setting', 'choice', "the database schema: today's lab schema, the names public code shows, "
           "or only the runbooks' tables and the columns they name", default='lab',
           choices=('lab', 'public', 'minimal')),
    Option('payments_abandoned', 'setting', 'int', 'payments in status 2 for more than 6 hours that the fake '
           'payment gateway never got paid (abandoned checkouts): checkpay leaves them in pay',
           default=0, minimum=0, maximum=200),
    Option('platform_version', 'setting', 'version', '`core billmgr -v` prints this platform version (a host off '
           "the fleet's most common one is version drift)", default='6.112.0'),
    Option('provider_in_inventory', 'setting', 'bool', 'the inventory names the provider host of this reseller '
           "(billmgr_provider_host); false: drift is read over the provider's API", default=True,
           roles=('reseller',)),
    Option('checkevent_minutes', 'setting', 'int', "root's crontab runs checkevent every this many minutes "
           '(runbook 001: 5; 60 is hourly)', default=5, minimum=1, maximum=60),
)

OPTIONS = {option.name: option for option in FAULTS + SETTINGS}

# Pairs that describe two different license states at once.
CONFLICTS = (
    ('license_unlinked', 'license_expiring'),
    ('license_unlinked', 'license_expired'),
    ('license_expiring', 'license_expired'),
)


def conflicts_in(faults: dict) -> list[tuple[str, str]]:
    return [pair for pair in CONFLICTS if pair[0] in faults and pair[1] in faults]


def markdown_table(options=FAULTS + SETTINGS) -> str:
    """The docs' table of faults and settings, from the same entries validation uses."""
    rows = ['| name | kind | takes | `true` / default | what it does |', '|---|---|---|---|---|']
    for option in options:
        shown = option.when_true if option.kind == 'fault' else option.default
        if option.reseller_default is not None:
            shown = f'{shown} ({option.reseller_default} on a reseller)'
        roles = '' if option.roles == ROLES else f' ({" or ".join(option.roles)} only)'
        rows.append(f'| `{option.name}` | {option.kind} | {option.takes()} | {shown} | '
                    f'{option.description}{roles} |')
    return '\n'.join(rows) + '\n'
