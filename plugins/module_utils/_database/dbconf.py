# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform's database settings, read from its own config files.

``etc/billmgr.conf`` and then ``etc/billmgr.conf.d/*.conf`` in name order, each in the ISPsystem
form: one ``Name value`` per line, ``#`` starting a comment line.  A later line or file overrides
an earlier one.  Only whole lines are comments: a password may contain ``#``.  Keys other than
``DBHost``, ``DBUser``, ``DBPassword`` and ``DBName`` are kept but not used here.  Stdlib only.
"""

from __future__ import annotations

import os

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import read_text

DB_KEYS = ('DBHost', 'DBUser', 'DBPassword', 'DBName')
# What the platform falls back to when a key is absent; the runbook itself runs `mysql billmgr` as root.
DEFAULTS = {'DBHost': 'localhost', 'DBUser': 'root', 'DBPassword': '', 'DBName': 'billmgr'}


class DbConfError(Exception):
    """A config file exists but cannot be read."""


def parse_conf(text):
    """``Name value`` lines -> dict; later lines win, comments and blank lines are skipped."""
    values = {}
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        parts = line.split(None, 1)
        values[parts[0]] = parts[1].strip() if len(parts) > 1 else ''
    return values


def conf_files(layout):
    """The files that hold the settings, in the order they apply; missing ones are left out."""
    files = [layout.manager_conf] if os.path.isfile(layout.manager_conf) else []
    try:
        names = sorted(os.listdir(layout.manager_conf_dir))
    except OSError:
        names = []
    for name in names:
        path = os.path.join(layout.manager_conf_dir, name)
        if name.endswith('.conf') and os.path.isfile(path):
            files.append(path)
    return files


def read_conf(paths):
    """The settings of PATHS merged in order: ``(values, {key: file that set it})``."""
    values = {}
    origin = {}
    for path in paths:
        try:
            text = read_text(path, what='platform config')
        except OSError as exc:
            raise DbConfError('cannot read %s: %s' % (path, exc.strerror or exc))
        for key, value in parse_conf(text).items():
            values[key] = value
            origin[key] = path
    return values, origin


def _lookup(values, key):
    """KEY from VALUES, its spelling forgiven (``dbhost`` for ``DBHost``)."""
    if key in values:
        return values[key]
    lowered = key.lower()
    for name, value in values.items():
        if name.lower() == lowered:
            return value
    return None


class DbSettings:
    """Where and as whom to connect; ``port`` and ``socket`` come out of ``DBHost`` when it holds them."""

    def __init__(self, host, user, password, name, files=(), missing=()):
        self.host, self.port, self.socket = split_host(host)
        self.user = user
        self.password = password
        self.name = name
        self.files = list(files)
        self.missing = list(missing)

    @property
    def address(self):
        """Host as an operator would name it in a message."""
        if self.socket:
            return self.socket
        return '%s:%s' % (self.host, self.port) if self.port else self.host

    def public(self):
        """Everything but the password, for a module's result."""
        return {'host': self.address, 'name': self.name, 'user': self.user, 'config_files': self.files}


def split_host(host):
    """``DBHost`` -> ``(host, port, socket)``: ``db:3307`` has a port, ``/run/mysqld.sock`` is a socket."""
    host = (host or '').strip() or DEFAULTS['DBHost']
    if host.startswith('/'):
        return 'localhost', None, host
    name, sep, port = host.rpartition(':')
    if sep and port.isdigit() and name and ':' not in name:
        return name, int(port), None
    return host, None, None


def db_settings(layout, overrides=None):
    """The settings of the install at LAYOUT, with OVERRIDES (``{'DBHost': ..}``, None = not given) on top."""
    files = conf_files(layout)
    values, _origin = read_conf(files)
    chosen = {}
    missing = []
    for key in DB_KEYS:
        given = (overrides or {}).get(key)
        found = _lookup(values, key)
        if given is not None:
            chosen[key] = given
        elif found is not None:
            chosen[key] = found
        else:
            chosen[key] = DEFAULTS[key]
            missing.append(key)
    return DbSettings(chosen['DBHost'], chosen['DBUser'], chosen['DBPassword'], chosen['DBName'],
                      files=files, missing=missing)
