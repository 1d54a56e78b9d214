# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where things live below the platform's install root.

Kept free of Ansible imports so that scripts shipped to hosts (the debug reverter) can use it too.
"""

from __future__ import annotations

import os
import re

DEFAULT_MGR_ROOT = '/usr/local/mgr5'
DEFAULT_MANAGER = 'billmgr'

# A log or manager name as the platform writes it: letters, digits, dot, dash, underscore.
# Anything else (a slash, "..", a space) could escape var/ or etc/ and is refused.
_NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$')


def is_safe_name(name):
    """True when NAME can be joined below a platform directory without leaving it."""
    return bool(name) and _NAME_RE.match(name) is not None and '..' not in name


class MgrLayout:
    """Paths of one platform install, e.g. ``MgrLayout('/usr/local/mgr5').debug_conf``."""

    def __init__(self, root=DEFAULT_MGR_ROOT, manager=DEFAULT_MANAGER):
        self.root = os.path.normpath(root or DEFAULT_MGR_ROOT)
        self.manager = manager

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    @property
    def mgrctl(self):
        return self.path('sbin', 'mgrctl')

    @property
    def licctl(self):
        return self.path('sbin', 'licctl')

    @property
    def core(self):
        return self.path('bin', 'core')

    @property
    def etc_dir(self):
        return self.path('etc')

    @property
    def debug_conf(self):
        return self.path('etc', 'debug.conf')

    @property
    def manager_conf(self):
        return self.path('etc', self.manager + '.conf')

    @property
    def manager_conf_dir(self):
        return self.path('etc', self.manager + '.conf.d')

    @property
    def license_file(self):
        return self.path('etc', self.manager + '.lic')

    @property
    def maintenance_file(self):
        return self.path('etc', self.manager + '.DoNothing')

    @property
    def var_dir(self):
        return self.path('var')

    @property
    def archive_dir(self):
        return self.path('var', 'logs')

    @property
    def licctl_log(self):
        return self.path('var', 'licctl.log')

    def log(self, name):
        """Path of the live log NAME (``billmgr`` -> ``var/billmgr.log``)."""
        if name.endswith('.log'):
            name = name[:-4]
        return self.path('var', name + '.log')
