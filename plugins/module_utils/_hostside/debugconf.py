# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The grammar of the platform's ``etc/debug.conf``, and this collection's marks in it.

The file holds ``# comment`` lines, ``SET name=value`` lines and ``LOG[.MODULE] LEVEL
[additional conditions]`` entries.  The platform's own logs are named ``NAME.*`` (runbook 000); a
payment or processing module's log is written ``NAME LEVEL``, the only form the older Python logger
of modules reads (the newer one and the PHP helper read it too).  A line that exists keeps its form.
It is parsed into lines that keep every byte (invalid UTF-8, CRLF, a missing final newline, lines the
grammar does not know), so rendering a file nobody changed gives back the very same bytes, and a
change touches only the lines it is about.

A temporary level carries its own memory on the host, in a comment the platform ignores, right above
the entry it describes::

    # billmgr.ops managed: log=billmgr module=* previous=4 expires=2026-11-23T15:00:00Z
    billmgr.* 9

``previous`` is the level token the operator had (``none``: there was no line), so undoing the
change puts back the operator's line exactly; ``expires`` lets a reverter on the host undo it even
when the controller that made it is gone; ``file=new`` says the file did not exist before, so
undoing the last change removes it again.  When the file names one log twice (support scripts
leave such lines), every line is changed, each with its own marker, so that the file never says
two things.  A marker edited by hand into something unreadable is ignored (and listed by
``bad_markers()``), never written back.

Stdlib only and no Ansible imports: the host-side reverter script reuses this file.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

MARKER_TAG = 'billmgr.ops managed:'
NO_PREVIOUS = 'none'
MIN_LEVEL = 0
MAX_LEVEL = 9
LEVEL_NAMES = {
    1: 'notes', 2: 'critical', 3: 'errors', 4: 'warnings', 5: 'requests',
    6: 'extended info', 7: 'remote services', 8: 'code trace', 9: 'debug',
}

# Bytes that are not UTF-8 survive decoding as lone surrogates and come back out unchanged.
_ENCODING = 'utf-8'
_ERRORS = 'surrogateescape'

_ENTRY_RE = re.compile(
    r'^(?P<head>[ \t]*(?P<log>[^\s.#]+)(?:\.(?P<module>\S+))?[ \t]+)'
    r'(?P<level>[0-9]+)'
    # Whatever follows the level after a blank: the documented [additional conditions], a comment.
    r'(?P<tail>(?:[ \t].*)?)$'
)
_LEVEL_TOKEN_RE = re.compile(r'[0-9]{1,2}')
NEW_FILE = 'new'
# Line forms: NAME.* (the platform's logs) and NAME alone (module logs: the older Python logger of
# modules reads only a line that starts with the module name and a space).
FORMS = ('auto', 'dotted', 'plain')
MODULE_LOG_PREFIX = 'pm'
_SET_RE = re.compile(r'^[ \t]*SET[ \t]+(?P<name>[^\s=]+)=(?P<value>.*)$')
_MARKER_RE = re.compile(r'^[ \t]*#[ \t]*' + re.escape(MARKER_TAG) + r'(?P<fields>.*)$')
_COMMENT_RE = re.compile(r'^[ \t]*#')


class DebugConfError(ValueError):
    """A request this file cannot honour (bad name, level out of range)."""


def format_time(moment):
    """UTC ISO form used in markers: ``2026-11-23T15:00:00Z``."""
    return moment.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def parse_time(text):
    """A marker's ``expires`` back to an aware datetime; None when it cannot be read."""
    if not text:
        return None
    value = text.strip()
    if value.endswith(('Z', 'z')):
        value = value[:-1] + '+00:00'
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def utc_now():
    return datetime.now(timezone.utc)


def _same_module(a, b):
    # ``billmgr 4`` names no module; it is read as every module of the log, like ``billmgr.* 4``.
    return (a or '*') == (b or '*')


class Line:
    """One line of the file: its text without the line ending, and the ending itself."""

    __slots__ = ('body', 'eol')

    def __init__(self, body, eol):
        self.body = body
        self.eol = eol

    def entry(self):
        """The ``LOG[.MODULE] LEVEL`` parts of this line, or None when it is not an entry."""
        if _COMMENT_RE.match(self.body) or _SET_RE.match(self.body):
            return None
        return _ENTRY_RE.match(self.body)

    def marker(self):
        """The fields of this collection's marker comment, or None."""
        match = _MARKER_RE.match(self.body)
        if match is None:
            return None
        fields = {}
        for token in match.group('fields').split():
            key, sep, value = token.partition('=')
            if sep:
                fields[key] = value
        return fields

    def setting(self):
        """``(name, value)`` of a ``SET name=value`` line, or None."""
        match = _SET_RE.match(self.body)
        return (match.group('name'), match.group('value')) if match else None

    def with_level(self, level_token):
        match = self.entry()
        return Line(match.group('head') + level_token + match.group('tail'), self.eol)


class ManagedEntry:
    """An entry this collection wrote or changed, with the memory its marker carries."""

    def __init__(self, index, log, module, level, previous, expires, expires_text, new_file=False):
        self.index = index          # of the entry line; the marker is the line above
        self.log = log
        self.module = module
        self.level = level
        self.previous = previous    # level token as the operator wrote it, or None
        self.expires = expires      # aware datetime or None
        self.expires_text = expires_text
        self.new_file = new_file    # the file did not exist before this change

    def is_expired(self, now):
        return self.expires is not None and self.expires <= now

    def as_dict(self):
        return {
            'log': self.log,
            'module': self.module,
            'level': self.level,
            'previous': int(self.previous) if self.previous is not None else None,
            'expires': format_time(self.expires) if self.expires is not None else self.expires_text,
        }


def validate_request(log, module, level=None):
    """Refuse what cannot be written as one safe ``LOG.MODULE LEVEL`` line; say what is wrong."""
    if not _is_name(log):
        raise DebugConfError(
            "log %r is not a log name: give the name as the platform writes it (billmgr, pmbillmgr, "
            "ihttpd, or * for every log), without dots, slashes or spaces" % (log,))
    if not _is_name(module, dots=True):
        raise DebugConfError(
            "module %r is not a module name: give a logger name such as db or rpc, or * for every "
            "module" % (module,))
    if level is not None and not MIN_LEVEL <= level <= MAX_LEVEL:
        raise DebugConfError(
            'level %s is out of range: debug.conf levels run from %d to %d (%s)'
            % (level, MIN_LEVEL, MAX_LEVEL,
               ', '.join('%d %s' % item for item in sorted(LEVEL_NAMES.items()))))


_NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$')
_DOTTED_NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$')


def _is_name(name, dots=False):
    if name == '*':
        return True
    if not isinstance(name, str) or '..' in name:
        return False
    return (_DOTTED_NAME_RE if dots else _NAME_RE).fullmatch(name) is not None


class DebugConf:
    """A parsed debug.conf; ``render()`` gives bytes equal to the input for untouched lines."""

    def __init__(self, lines=None):
        self.lines = list(lines or [])
        # Set when undoing emptied a file this collection created (its marker said file=new).
        self.file_was_new = False

    # ---- reading and writing -------------------------------------------------------------

    @classmethod
    def parse(cls, data):
        """Parse DATA (bytes or text) without losing a byte."""
        if isinstance(data, bytes):
            data = data.decode(_ENCODING, _ERRORS)
        lines = []
        start = 0
        while start < len(data):
            end = data.find('\n', start)
            if end < 0:
                lines.append(Line(data[start:], ''))
                break
            if end > start and data[end - 1] == '\r':
                lines.append(Line(data[start:end - 1], '\r\n'))
            else:
                lines.append(Line(data[start:end], '\n'))
            start = end + 1
        return cls(lines)

    def text(self):
        return ''.join(line.body + line.eol for line in self.lines)

    def render(self):
        return self.text().encode(_ENCODING, _ERRORS)

    def display_text(self):
        """The file as printable text for a diff (bytes that are not UTF-8 shown as U+FFFD)."""
        return self.render().decode(_ENCODING, 'replace')

    def copy(self):
        return DebugConf(Line(line.body, line.eol) for line in self.lines)

    # ---- looking things up ---------------------------------------------------------------

    def settings(self):
        """``{name: value}`` of the ``SET`` lines (the last one wins)."""
        found = {}
        for line in self.lines:
            setting = line.setting()
            if setting:
                found[setting[0]] = setting[1]
        return found

    def entries(self):
        """``(index, log, module, level)`` for every ``LOG[.MODULE] LEVEL`` line, in file order."""
        found = []
        for index, line in enumerate(self.lines):
            match = line.entry()
            if match:
                found.append((index, match.group('log'), match.group('module') or '*',
                              int(match.group('level'))))
        return found

    def find(self, log, module='*'):
        """Index of the entry for LOG.MODULE, or None.

        When the file names the same log and module twice the last line is taken, on the
        assumption that the platform reads the file top to bottom and a later line overrides.
        """
        found = None
        for index, line in enumerate(self.lines):
            match = line.entry()
            if match and match.group('log') == log and _same_module(match.group('module'), module):
                found = index
        return found

    def level(self, log, module='*'):
        index = self.find(log, module)
        return None if index is None else int(self.lines[index].entry().group('level'))

    def _marker_of(self, index):
        """The marker fields describing the entry at INDEX, or None when it is not managed.

        A marker whose fields cannot be trusted (a previous level that is not a plain level, as a
        hand edit can leave) does not make the entry managed: undoing it would write garbage.
        """
        if index is None or index == 0:
            return None
        fields = self.lines[index - 1].marker()
        if fields is None:
            return None
        match = self.lines[index].entry()
        if fields.get('log') != match.group('log') or not _same_module(fields.get('module'), match.group('module')):
            return None
        if _marker_problem(fields) is not None:
            return None
        return fields

    def bad_markers(self):
        """``(line_number, text, why)`` of marker lines this collection cannot act on, for a warning."""
        found = []
        for index, line in enumerate(self.lines):
            fields = line.marker()
            if fields is None:
                continue
            match = self.lines[index + 1].entry() if index + 1 < len(self.lines) else None
            if match is None or fields.get('log') != match.group('log') \
                    or not _same_module(fields.get('module'), match.group('module')):
                why = 'it is not right above the entry it names'
            else:
                why = _marker_problem(fields)
            if why is not None:
                found.append((index + 1, line.body.strip(), why))
        return found

    def managed(self):
        """Every managed entry (a marker directly above a matching entry), in file order."""
        found = []
        for index, line in enumerate(self.lines):
            match = line.entry()
            if not match:
                continue
            fields = self._marker_of(index)
            if fields is None:
                continue
            previous = fields.get('previous', NO_PREVIOUS)
            found.append(ManagedEntry(
                index, match.group('log'), match.group('module') or '*', int(match.group('level')),
                None if previous == NO_PREVIOUS else previous,
                parse_time(fields.get('expires')), fields.get('expires'), fields.get('file') == NEW_FILE))
        return found

    def managed_entries(self, log, module='*'):
        return [entry for entry in self.managed() if entry.log == log and _same_module(entry.module, module)]

    def managed_entry(self, log, module='*'):
        entries = self.managed_entries(log, module)
        return entries[-1] if entries else None

    def expired(self, now=None):
        now = now or utc_now()
        return [entry for entry in self.managed() if entry.is_expired(now)]

    def is_empty(self):
        return not self.lines

    # ---- changing ------------------------------------------------------------------------

    def _eol(self):
        for line in self.lines:
            if line.eol:
                return line.eol
        return '\n'

    @staticmethod
    def _marker_line(log, module, previous, expires, eol, new_file=False):
        fields = ['log=%s' % log, 'module=%s' % module, 'previous=%s' % (previous or NO_PREVIOUS)]
        if expires is not None:
            fields.append('expires=%s' % format_time(expires))
        if new_file:
            fields.append('file=%s' % NEW_FILE)
        return Line('# %s %s' % (MARKER_TAG, ' '.join(fields)), eol)

    @staticmethod
    def _entry_body(log, module, level, form='auto'):
        if log == '*' and module == '*':
            return '* %d' % level       # the spec's own spelling of the global default
        if module == '*' and line_form(log, form) == 'plain':
            return '%s %d' % (log, level)
        return '%s.%s %d' % (log, module, level)

    def _append(self, new_lines):
        eol = self._eol()
        if self.lines and not self.lines[-1].eol:
            # The file had no final newline: give the old last line one and leave the file
            # ending the way it did, so removing these lines again restores it exactly.
            self.lines[-1].eol = eol
            new_lines[-1].eol = ''
        self.lines.extend(new_lines)

    def _delete(self, indexes):
        drop = set(indexes)
        ended_without_newline = bool(self.lines) and not self.lines[-1].eol and (len(self.lines) - 1) in drop
        self.lines = [line for index, line in enumerate(self.lines) if index not in drop]
        if ended_without_newline and self.lines:
            self.lines[-1].eol = ''

    def lines_of(self, log, module='*'):
        """Indexes of every entry line for LOG.MODULE, in file order."""
        return [index for index, _log, _module, _level in self.entries()
                if _log == log and _same_module(_module, module)]

    def set_level(self, log, module, level, expires=None, expires_is_fixed=False, now=None, form='auto',
                  new_file=False):
        """Make LOG.MODULE run at LEVEL; return True when the file changed.

        Every line for LOG.MODULE is changed in place (its form, conditions and comment kept);
        without one, a line is appended in FORM (``auto``: ``NAME LEVEL`` for a module log,
        ``NAME.* LEVEL`` for the platform's).  NEW_FILE says the file did not exist.

        EXPIRES (aware datetime) is when the change should be undone.  Idempotence rules:
        an absolute time (EXPIRES_IS_FIXED) replaces a different expiry; a relative one
        (computed from a duration) does not move an expiry still in the future, because a
        second run of the same request must change nothing; without EXPIRES an existing
        expiry is kept, because a forgotten level 9 fills the disk.
        """
        validate_request(log, module, level)
        if form not in FORMS:
            raise DebugConfError('form must be one of %s, not %r' % (', '.join(FORMS), form))
        now = now or utc_now()
        indexes = self.lines_of(log, module)
        if not indexes:
            eol = self._eol()
            self._append([self._marker_line(log, module, None, expires, eol, new_file=new_file),
                          Line(self._entry_body(log, module, level, form), eol)])
            return True
        changed = False
        # Bottom up, so that a marker inserted above a line does not move the lines still to do.
        for index in reversed(indexes):
            changed = self._set_line(index, log, module, level, expires, expires_is_fixed, now) or changed
        return changed

    def _set_line(self, index, log, module, level, expires, expires_is_fixed, now):
        line = self.lines[index]
        eol = line.eol or self._eol()
        fields = self._marker_of(index)
        current = int(line.entry().group('level'))
        if fields is None:
            if current == level:
                return False
            previous = line.entry().group('level')
            self.lines[index] = line.with_level(str(level))
            self.lines.insert(index, self._marker_line(log, module, previous, expires, eol))
            return True
        managed = next(entry for entry in self.managed() if entry.index == index)
        new_expiry = _choose_expiry(managed.expires, expires, expires_is_fixed, current != level, now)
        if current == level and _same_time(new_expiry, managed.expires):
            return False
        if current != level:
            self.lines[index] = line.with_level(str(level))
        self.lines[index - 1] = self._marker_line(
            log, fields.get('module', module), managed.previous, new_expiry, self.lines[index - 1].eol,
            new_file=managed.new_file)
        return True

    def remove(self, log, module='*', remove_unmanaged=False):
        """Undo LOG.MODULE: put back the operator's lines, or drop the entries; True when changed.

        Every managed line gets its previous level back (or disappears with its marker when there
        was no line before).  Lines this collection did not write are the operator's: they are
        removed only when REMOVE_UNMANAGED asks for it, so a second undo never eats them.
        """
        validate_request(log, module)
        managed = self.managed_entries(log, module)
        if managed:
            for entry in reversed(managed):
                self._undo(entry)
            return True
        if not remove_unmanaged:
            return False
        doomed = self.unmanaged_lines(log, module)
        if not doomed:
            return False
        self._delete(doomed)
        return True

    def unmanaged_lines(self, log, module='*'):
        """Indexes of the LOG.MODULE lines this collection did not write."""
        return [index for index in self.lines_of(log, module) if self._marker_of(index) is None]

    def _undo(self, managed):
        if managed.previous is None:
            self._delete([managed.index - 1, managed.index])
        else:
            self.lines[managed.index] = self.lines[managed.index].with_level(managed.previous)
            self._delete([managed.index - 1])
        if managed.new_file:
            # The memory that the file is new moves to a change still in it, if any is left.
            left = self.managed()
            if left:
                entry = left[0]
                self.lines[entry.index - 1] = self._marker_line(
                    entry.log, entry.module, entry.previous, entry.expires, self.lines[entry.index - 1].eol,
                    new_file=True)
            elif self.is_empty():
                self.file_was_new = True

    def revert_expired(self, now=None):
        """Undo every managed entry whose expiry has passed; return them (as ManagedEntry)."""
        reverted = []
        # Bottom up, so the indexes of entries still to undo do not move.
        for managed in reversed(self.expired(now)):
            self._undo(managed)
            reverted.append(managed)
        reverted.reverse()
        return reverted

    def should_be_removed(self):
        """True when undoing left nothing of a file this collection created: remove it again."""
        return self.file_was_new and self.is_empty()


def line_form(log, form='auto'):
    """``plain`` (``NAME LEVEL``) or ``dotted`` (``NAME.* LEVEL``) for a new line of LOG."""
    if form != 'auto':
        return form
    return 'plain' if log.startswith(MODULE_LOG_PREFIX) else 'dotted'


def _marker_problem(fields):
    """Why a marker cannot be acted on, or None when it can."""
    previous = fields.get('previous', NO_PREVIOUS)
    if previous != NO_PREVIOUS and not _LEVEL_TOKEN_RE.fullmatch(previous):
        return 'previous=%s is not a level from %d to %d' % (previous, MIN_LEVEL, MAX_LEVEL)
    if previous != NO_PREVIOUS and not MIN_LEVEL <= int(previous) <= MAX_LEVEL:
        return 'previous=%s is not a level from %d to %d' % (previous, MIN_LEVEL, MAX_LEVEL)
    if fields.get('expires') and parse_time(fields['expires']) is None:
        return 'expires=%s is not a time' % fields['expires']
    return None


def _same_time(a, b):
    if a is None or b is None:
        return a is b
    return format_time(a) == format_time(b)


def _choose_expiry(existing, requested, requested_is_fixed, level_changes, now):
    if requested is None:
        return existing
    if requested_is_fixed or level_changes:
        return requested
    if existing is None or existing <= now:
        return requested
    return existing


# ---- restarts: what makes a changed level apply ---------------------------------------------------

# Logs whose level a platform restart does not reach, and the service that must restart instead.
SERVICE_LOGS = {'ihttpd': 'ihttpd'}


def restart_targets(logs):
    """``(platform_logs, services)``: the LOGS whose changed level a platform restart applies, and the
    services to restart for the others (``*`` is every log, so it calls for both)."""
    platform = [log for log in logs if log not in SERVICE_LOGS]
    services = set(SERVICE_LOGS[log] for log in logs if log in SERVICE_LOGS)
    if '*' in logs:
        services |= set(SERVICE_LOGS.values())
    return platform, sorted(services)


def restart_advice(changed_logs):
    """``(restart_required, service or None, sentence)`` for the logs whose level changed."""
    platform, services = restart_targets(changed_logs)
    advice = []
    if platform:
        advice.append('restart the platform (billmgr.ops.mgrctl_restart) for %s to apply' % ', '.join(platform))
    for service in services:
        advice.append('restart the %s service (systemctl restart %s) for its level to apply; '
                      'a platform restart does not reach it' % (service, service))
    return bool(platform), (services[0] if services else None), '; '.join(advice)
