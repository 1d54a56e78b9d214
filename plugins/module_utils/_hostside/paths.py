# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where things live below the platform's install root.

Kept free of Ansible imports so that scripts shipped to hosts (the debug reverter) can use it too.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata

DEFAULT_MGR_ROOT = '/usr/local/mgr5'
DEFAULT_MANAGER = 'billmgr'

# A log or manager name as the platform writes it: letters, digits, dot, dash, underscore.
# Anything else (a slash, "..", a space) could escape var/ or etc/ and is refused.  Always used
# with fullmatch: ``$`` would also match before a final newline and let ``billmgr\n`` through.
NAME_RE = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}')
NAME_FORMS = 'letters, digits, dot, dash and underscore, at most 64, not starting with a dot or dash'


class OptionError(ValueError):
    """An option value refused; the message names the option and what to give instead."""


def is_safe_name(name):
    """True when NAME can be joined below a platform directory without leaving it."""
    return isinstance(name, str) and NAME_RE.fullmatch(name) is not None and '..' not in name


def bad_character(text):
    """Why TEXT cannot be a name or a line of a file: the first NUL, control or non-ASCII character
    described (``'a newline (\\n)'``), or None when it holds none of them."""
    for char in str(text):
        if char == '\x00':
            return 'a NUL byte'
        if char in '\n\r':
            return 'a line break (%r)' % char
        if unicodedata.category(char).startswith('C'):
            return 'a control character (%r)' % char
        if ord(char) > 127:
            return 'a non-ASCII character (%r)' % char
    return None


def check_name(option, value, pattern=NAME_RE, forms=NAME_FORMS):
    """VALUE when it fully matches PATTERN; OptionError naming OPTION, and why, otherwise."""
    text = value if isinstance(value, str) else str(value)
    reason = bad_character(text)
    if reason is None and ('/' in text or '..' in text):
        reason = 'a path (/ or ..)'
    if reason is None and pattern.fullmatch(text) is None:
        reason = 'other characters'
    if reason is not None:
        raise OptionError('%s: %r is not a name: it holds %s; give %s' % (option, value, reason, forms))
    return text


def check_line_text(option, value):
    """VALUE when it can go on one line of a file or a command (no NUL, line break or control
    character; any other Unicode is fine); OptionError naming OPTION otherwise."""
    if value is None:
        return value
    for char in str(value):
        if char == '\x00' or char in '\n\r' or (unicodedata.category(char) == 'Cc' and char != '\t'):
            raise OptionError('%s: holds %s, which cannot be written on one line; remove it'
                              % (option, bad_character(char) or repr(char)))
    return value


def check_number(option, value, least, most, above=False):
    """VALUE as a finite number in [LEAST, MOST] (LEAST excluded when ABOVE); OptionError otherwise.

    ``inf``, ``nan`` and ``1e300`` are refused here so that no timer, sleep or date sum sees them.
    """
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise OptionError('%s: %r is not a number' % (option, value))
    if not math.isfinite(number):
        raise OptionError('%s: %r is not a finite number: give a number from %s to %s'
                          % (option, value, least, most))
    if number < least or (above and number == least) or number > most:
        raise OptionError('%s: %s is out of range: give a number %s %s and at most %s'
                          % (option, value, 'above' if above else 'from', least, most))
    return value


def check_options(params, names=(), numbers=(), lines=()):
    """Every option of PARAMS (a module's ``params``) held to its rule; the first OptionError raised.

    NAMES: options whose value, or each item of a list, must be a name (:func:`check_name`).
    NUMBERS: ``(option, least, most, above)`` for :func:`check_number`.
    LINES: options whose value, or each item of a list, must fit on one line; the value is never
    quoted in the message (it may be a password).
    """
    def values(option):
        value = params.get(option)
        if value is None:
            return []
        return list(value) if isinstance(value, (list, tuple)) else [value]

    for option in names:
        for value in values(option):
            check_name(option, value)
    for option, least, most, above in numbers:
        if params.get(option) is not None:
            check_number(option, params[option], least, most, above)
    for option in lines:
        for value in values(option):
            check_line_text(option, value)


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
