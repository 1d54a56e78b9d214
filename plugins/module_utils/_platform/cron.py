# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Root's crontab as the platform writes it: its schedule lines and the ``checkevent`` job.

The reselling runbooks require every 5 minutes::

    */5 * * * * /usr/local/mgr5/sbin/mgrctl -m billmgr checkevent >/dev/null 2>&1

and real servers often run the same through the platform's wrapper, which takes a program relative
to the mgr root::

    */5 * * * * /usr/local/mgr5/sbin/cron-billmgr sbin/mgrctl -m billmgr checkevent

Both forms are recognised below any mgr root; a line commented out is not a job.  The canonical
line can be rendered for a role that adds it.  A user crontab (``crontab -l``) has no user field.
Stdlib only, no Ansible imports.
"""

from __future__ import annotations

import os
import re
import shlex

DEFAULT_SCHEDULE = '*/5 * * * *'
FORMS = ('plain', 'wrapper')
DEFAULT_MANAGER = 'billmgr'
CHECKEVENT = 'checkevent'

NICKNAMES = {
    '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *',
    '@weekly': '0 0 * * 0', '@daily': '0 0 * * *', '@midnight': '0 0 * * *',
    '@hourly': '0 * * * *', '@reboot': None,
}
FIELD_NAMES = ('minute', 'hour', 'day_of_month', 'month', 'day_of_week')

_FIELD_RE = re.compile(r'^[0-9A-Za-z*/,?-]+$')
_ENV_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*\s*=')
_COMMENT_PREFIX_RE = re.compile(r'^\s*#+\s*')
# A shell token made only of operators ends a command: ``;``, ``&&``, ``|``, ``>``, ``2>&1``'s ``>&``.
_OPERATOR_RE = re.compile(r'^[();<>|&]+$')


class CronLine:
    """One crontab line: a job (schedule and command), an environment line, a comment or a blank."""

    __slots__ = ('number', 'text', 'kind', 'schedule', 'command', 'commented')

    def __init__(self, number, text, kind, schedule=None, command=None, commented=False):
        self.number = number        # 1-based, as an editor shows it
        self.text = text
        self.kind = kind            # job, env, comment, blank, unknown
        self.schedule = schedule    # the schedule as written: five fields or a @nickname
        self.command = command
        self.commented = commented  # a job behind '#': what it would run if uncommented


def _split_job(body):
    """``(schedule, command)`` of a job line body, or None when it is not one."""
    stripped = body.strip()
    first, _sep, rest = stripped.partition(' ')
    if first.startswith('@'):
        if first.lower() in NICKNAMES and rest.strip():
            return first, rest.strip()
        return None
    fields = stripped.split(None, 5)
    if len(fields) < 6 or not all(_FIELD_RE.match(field) for field in fields[:5]):
        return None
    return ' '.join(fields[:5]), fields[5]


def parse_crontab(text):
    """A user crontab's text -> list of :class:`CronLine`, in file order."""
    lines = []
    for number, raw in enumerate((text or '').splitlines(), 1):
        body = raw.strip()
        if not body:
            lines.append(CronLine(number, raw, 'blank'))
        elif body.startswith('#'):
            job = _split_job(_COMMENT_PREFIX_RE.sub('', body))
            if job:
                lines.append(CronLine(number, raw, 'comment', job[0], job[1], commented=True))
            else:
                lines.append(CronLine(number, raw, 'comment'))
        elif _ENV_RE.match(body):
            lines.append(CronLine(number, raw, 'env'))
        else:
            job = _split_job(body)
            if job:
                lines.append(CronLine(number, raw, 'job', job[0], job[1]))
            else:
                lines.append(CronLine(number, raw, 'unknown'))
    return lines


# ---- schedules -----------------------------------------------------------------------------------

def _expand_field(field, low, high):
    """The set of values a cron field selects between LOW and HIGH, or None when it is not numeric."""
    values = set()
    for part in field.split(','):
        base, _sep, step_text = part.partition('/')
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                return None
            step = int(step_text)
        if base in ('*', '?'):
            start, stop = low, high
        elif '-' in base:
            start_text, _dash, stop_text = base.partition('-')
            if not (start_text.isdigit() and stop_text.isdigit()):
                return None
            start, stop = int(start_text), int(stop_text)
        elif base.isdigit():
            start = int(base)
            stop = high if step_text else start
        else:
            return None
        if not low <= start <= stop <= high:
            return None
        values.update(range(start, stop + 1, step))
    return values


def _regular_gap(values, period):
    """The common gap between sorted VALUES around a cycle of PERIOD, or None when gaps differ."""
    ordered = sorted(values)
    gaps = {later - earlier for earlier, later in zip(ordered, ordered[1:])}
    gaps.add(ordered[0] + period - ordered[-1])
    return gaps.pop() if len(gaps) == 1 else None


def interval_minutes(schedule):
    """Minutes between two runs when the schedule repeats evenly, at least daily; else None.

    ``*/5 * * * *`` -> 5, ``0,30 * * * *`` -> 30, ``15 */2 * * *`` -> 120, ``@daily`` -> 1440;
    schedules that depend on the date (``0 3 * * 1``) or run unevenly (``*/7``) give None.
    """
    if schedule is None:
        return None
    fields = NICKNAMES.get(schedule.lower(), schedule) if schedule.startswith('@') else schedule
    if fields is None:
        return None
    parts = fields.split()
    if len(parts) != 5 or any(part not in ('*', '?') for part in parts[2:]):
        return None
    minutes = _expand_field(parts[0], 0, 59)
    hours = _expand_field(parts[1], 0, 23)
    if not minutes or not hours:
        return None
    if len(hours) == 24:
        return _regular_gap(minutes, 60)
    if len(minutes) == 1:
        gap = _regular_gap(hours, 24)
        return gap * 60 if gap is not None else None
    return None


def describe_schedule(schedule):
    """A schedule as data: the text, its five fields (null for ``@reboot``) and the interval."""
    if schedule is None:
        return None
    fields = NICKNAMES.get(schedule.lower()) if schedule.startswith('@') else schedule
    described = {'text': schedule}
    parts = fields.split() if fields else [None] * 5
    described.update(zip(FIELD_NAMES, parts))
    described['interval_minutes'] = interval_minutes(schedule)
    return described


# ---- the platform's lines ------------------------------------------------------------------------

def _norm_root(mgr_root):
    return os.path.normpath(mgr_root or '/usr/local/mgr5')


def mentions_root(text, mgr_root):
    """Whether TEXT names a path at or below MGR_ROOT (``/usr/local/mgr5`` but not ``.../mgr50``)."""
    root = _norm_root(mgr_root)
    pattern = r'(?:^|(?<=[\s=\'"(;&|<>`]))' + re.escape(root) + r'(?=/|$|[\s\'";&|<>)`])'
    return re.search(pattern, text) is not None


def _tokens(command):
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        # An unbalanced quote: cron would hand it to sh and fail; reading words is good enough here.
        return command.split()


def _same_path(token, path):
    return token.startswith('/') and os.path.normpath(token) == path


def _mgrctl_call(tokens, mgr_root):
    """``(form, args after mgrctl)`` for the first mgrctl run of this mgr root in TOKENS, or None."""
    root = _norm_root(mgr_root)
    mgrctl = os.path.join(root, 'sbin', 'mgrctl')
    for index, token in enumerate(tokens):
        if _same_path(token, mgrctl):
            return 'plain', tokens[index + 1:]
        if token.startswith('/') and os.path.dirname(os.path.normpath(token)) == os.path.join(root, 'sbin') \
                and os.path.basename(token).startswith('cron-') and index + 1 < len(tokens):
            program = tokens[index + 1]
            if os.path.normpath(program) == 'sbin/mgrctl' or _same_path(program, mgrctl):
                return 'wrapper', tokens[index + 2:]
    return None


def _is_fd_redirection(arg, following):
    # ``2>&1`` comes out of the lexer as ``2``, ``>&``, ``1``: the ``2`` is not an argument.
    return arg.isdigit() and bool(following) and following[0][:1] in ('<', '>')


def _mgrctl_request(args):
    """``(manager, function)`` from mgrctl's arguments, stopping at the first shell operator."""
    manager = function = None
    index = 0
    while index < len(args):
        arg = args[index]
        if _OPERATOR_RE.match(arg) or _is_fd_redirection(arg, args[index + 1:index + 2]):
            break
        if arg in ('-m', '-o'):
            if arg == '-m' and index + 1 < len(args):
                manager = args[index + 1]
            index += 2
            continue
        if arg.startswith('-m') and len(arg) > 2:
            manager = arg[2:]
        elif not arg.startswith('-') and '=' not in arg and function is None:
            function = arg
        index += 1
    return manager, function


def checkevent_form(line, mgr_root, manager=DEFAULT_MANAGER):
    """``plain`` or ``wrapper`` when LINE (a :class:`CronLine` job) runs checkevent of MANAGER, else None."""
    if line.command is None:
        return None
    call = _mgrctl_call(_tokens(line.command), mgr_root)
    if call is None:
        return None
    form, args = call
    if _mgrctl_request(args) != (manager, CHECKEVENT):
        return None
    return form


def find_checkevent(text, mgr_root, manager=DEFAULT_MANAGER):
    """What root's crontab TEXT says about checkevent of MANAGER below MGR_ROOT.

    ``{present, form, line, schedule, count, commented_out}``: the first active line's form
    (``plain``/``wrapper``), text and schedule (see :func:`describe_schedule`), how many active lines
    run it, and the first commented-out one (so a report can say "disabled" rather than "missing").
    """
    found = {'present': False, 'form': None, 'line': None, 'schedule': None, 'count': 0,
             'commented_out': None}
    for line in parse_crontab(text):
        form = checkevent_form(line, mgr_root, manager)
        if form is None:
            continue
        if line.commented:
            if found['commented_out'] is None:
                found['commented_out'] = line.text.strip()
            continue
        found['count'] += 1
        if not found['present']:
            found.update(present=True, form=form, line=line.text.strip(),
                         schedule=describe_schedule(line.schedule))
    return found


def platform_lines(text, mgr_root, manager=DEFAULT_MANAGER):
    """Active jobs of root's crontab that name MGR_ROOT, other than checkevent, as written."""
    found = []
    for line in parse_crontab(text):
        if line.kind != 'job' or not mentions_root(line.text, mgr_root):
            continue
        if checkevent_form(line, mgr_root, manager) is None:
            found.append(line.text.strip())
    return found


def render_checkevent_line(mgr_root='/usr/local/mgr5', form='plain', schedule=DEFAULT_SCHEDULE,
                           manager=DEFAULT_MANAGER):
    """The canonical checkevent line for MGR_ROOT, in FORM, output discarded as the runbook does."""
    if form not in FORMS:
        raise ValueError('form %r is not one of %s' % (form, ', '.join(FORMS)))
    if _split_job('%s true' % schedule) is None:
        raise ValueError('schedule %r is not five cron fields or a @nickname' % (schedule,))
    root = _norm_root(mgr_root)
    if form == 'plain':
        program = [os.path.join(root, 'sbin', 'mgrctl')]
    else:
        program = [os.path.join(root, 'sbin', 'cron-' + manager), 'sbin/mgrctl']
    words = program + ['-m', manager, CHECKEVENT]
    return '%s %s >/dev/null 2>&1' % (schedule, ' '.join(shlex.quote(word) for word in words))
