# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calling the platform's command-line client ``mgrctl`` and reading what it answers.

``mgrctl [-m MGR] [-o text|xml|json|devel] [-R] FUNC [param=value ...]``.  Commands are always an
argv list, never a command line, so a parameter value cannot become a second command.

Every call goes through a :class:`Runner`, the one place the collection starts commands on a host:
each command in a process group of its own, the group killed at the timeout (a hung ``mgrctl`` and
whatever it started), output read in linear time up to a cap.  A test may hand it a fake.

What success prints is not documented: exit status 0 and no ``ERROR`` is success.  Errors are read
from the three output forms: a text line ``ERROR type(object[,value])``, an XML
``<doc><error type=".."><param name="..">..</param><msg>..</msg></error></doc>``, and JSON.
Stdlib only.
"""

from __future__ import annotations

import json
import math
import os
import re
import selectors
import signal
import subprocess
import threading
import time
from xml.etree import ElementTree

OUTPUT_FORMATS = ('text', 'xml', 'json', 'devel')
DEFAULT_TIMEOUT = 60
# A day: past it a timeout is a typo, and no command the collection runs should take that long.
MAX_TIMEOUT = 86400
# Bytes kept of each of a command's stdout and stderr; what follows is read and dropped.
OUTPUT_CAP = 16 * 1024 * 1024
EXIT_GRACE = 2.0

_FUNC_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_.-]{0,127}')
_PARAM_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_.-]{0,127}')
_KEY_AT_RE = re.compile(r'(?:^|(?<=\s))([A-Za-z_][A-Za-z0-9_.-]*)=')
_ERROR_LINE_RE = re.compile(
    r'^\s*ERROR\s+(?P<type>[^\s(]+)(?:\((?P<object>[^,)]*)(?:,(?P<value>.*))?\))?\s*$')


class MgrctlUsageError(ValueError):
    """A call that must not be made (a function or parameter name that is not a name)."""


# ---- running ----------------------------------------------------------------------------------

class CommandResult:
    """What one command did: exit status, output, and whether it was killed for taking too long."""

    def __init__(self, argv, rc, stdout, stderr, timed_out=False, timeout=None):
        self.argv = list(argv)
        self.rc = rc
        self.stdout = stdout or ''
        self.stderr = stderr or ''
        self.timed_out = timed_out
        self.timeout = timeout

    @property
    def output(self):
        """stdout and stderr together, as an operator would want to read them in a message."""
        parts = [part.strip() for part in (self.stdout, self.stderr) if part and part.strip()]
        if self.timed_out:
            parts.append('(killed after %s seconds without an answer)' % self.timeout)
        return '\n'.join(parts)

    def as_dict(self):
        return {'cmd': self.argv, 'rc': self.rc, 'stdout': self.stdout, 'stderr': self.stderr,
                'timed_out': self.timed_out}


def local_run_command(args, before_communicate_callback=None, **_ignored):
    """A stdlib stand-in for ``AnsibleModule.run_command`` for scripts that run on the host.

    Given to :class:`Runner` it selects the runner's own process handling (:func:`run_argv`).
    """
    rc, out, err, _timed_out = run_argv(args)
    return rc, out, err


def check_timeout(timeout, option='timeout'):
    """TIMEOUT when it is None or a finite number of seconds in (0, MAX_TIMEOUT]; ValueError naming
    OPTION otherwise (``inf`` or ``nan`` would stop the clock that kills a hung command)."""
    if timeout is None:
        return None
    try:
        number = float(timeout)
    except (TypeError, ValueError):
        number = float('nan')
    if not math.isfinite(number) or not 0 < number <= MAX_TIMEOUT:
        raise ValueError('%s: %r is not a number of seconds above 0 and at most %d' % (option, timeout, MAX_TIMEOUT))
    return number


def run_argv(argv, timeout=None, output_cap=OUTPUT_CAP, exit_grace=EXIT_GRACE):
    """Run ARGV in a process group of its own; ``(rc, stdout, stderr, timed_out)``.

    At TIMEOUT the whole group is killed (a grandchild holding the pipes open dies with it).  Once
    the command itself has exited, output is awaited EXIT_GRACE seconds more; what of its group
    still holds the pipes open then is killed (a daemon that closed its output is left alone).  Each stream keeps its first
    OUTPUT_CAP bytes (the rest is read and dropped, so the child never blocks on a full pipe), in
    chunks joined once: linear in the output's size.
    """
    timeout = check_timeout(timeout)
    proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, close_fds=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    chunks = {proc.stdout: [], proc.stderr: []}
    kept = {proc.stdout: 0, proc.stderr: 0}
    dropped = {proc.stdout: 0, proc.stderr: 0}
    timed_out = False
    exited_at = None
    selector = selectors.DefaultSelector()
    try:
        for stream in chunks:
            selector.register(stream, selectors.EVENT_READ)
        while selector.get_map():
            now = time.monotonic()
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > exit_grace:
                # Something the command started still holds its output open: it goes with it.
                _kill_group(proc)
                break
            if exited_at is None and deadline is not None and now >= deadline:
                timed_out = True
                _kill_group(proc)
                break
            waits = [0.2]
            if deadline is not None and exited_at is None:
                waits.append(max(0.0, deadline - now))
            for key, _events in selector.select(min(waits)):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                room = output_cap - kept[key.fileobj]
                if room > 0:
                    chunks[key.fileobj].append(data[:room])
                    kept[key.fileobj] += min(room, len(data))
                dropped[key.fileobj] += max(0, len(data) - max(room, 0))
        if not timed_out:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                proc.wait(remaining)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc)
    except BaseException:
        # Interrupted (a signal, an error here): nothing started by this call outlives it.
        _kill_group(proc)
        raise
    finally:
        selector.close()
        for stream in chunks:
            stream.close()
        if timed_out or proc.returncode is None:
            proc.wait()
    out, err = (_joined(chunks[stream], dropped[stream]) for stream in (proc.stdout, proc.stderr))
    # A command killed at its timeout ends with -SIGKILL, as the kill left it.
    return proc.returncode, out, err, timed_out


def _joined(chunks, dropped):
    text = b''.join(chunks).decode('utf-8', 'replace')
    if dropped:
        text += '\n[%d more bytes of output not kept]' % dropped
    return text


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.kill()
    except OSError:
        pass


class Runner:
    """Runs argv lists under a timeout that kills the command's whole process group.

    ``Runner()`` (or ``Runner(local_run_command)``) runs commands itself with :func:`run_argv`;
    a test may hand in a fake with ``AnsibleModule.run_command``'s signature instead.
    """

    def __init__(self, run_command=None, output_cap=OUTPUT_CAP):
        self._run_command = None if run_command is local_run_command else run_command
        self.output_cap = output_cap

    def run(self, argv, timeout=None):
        timeout = check_timeout(timeout)
        if self._run_command is None:
            try:
                rc, out, err, timed_out = run_argv(argv, timeout, self.output_cap)
            except OSError as exc:
                return CommandResult(argv, 127, '', 'cannot run %s: %s' % (argv[0], exc.strerror or exc))
            return CommandResult(argv, rc, out, err, timed_out=timed_out, timeout=timeout)
        state = {'timer': None, 'killed': False}

        def arm(proc):
            state['timer'] = threading.Timer(timeout, _kill, (proc, state))
            state['timer'].daemon = True
            state['timer'].start()

        try:
            rc, out, err = self._run_command(
                list(argv), check_rc=False, expand_user_and_vars=False, handle_exceptions=False,
                before_communicate_callback=arm if timeout else None)
        except OSError as exc:
            return CommandResult(argv, 127, '', 'cannot run %s: %s' % (argv[0], exc.strerror or exc))
        finally:
            if state['timer'] is not None:
                state['timer'].cancel()
        return CommandResult(argv, rc, out, err, timed_out=state['killed'], timeout=timeout)


def _kill(proc, state):
    if proc.poll() is None:
        state['killed'] = True
        proc.kill()


# ---- building commands ------------------------------------------------------------------------

def mgrctl_argv(mgrctl_path, manager, func=None, params=None, output=None, flags=()):
    """``[mgrctl, -m, MGR, (-o, FORMAT), (FLAGS...), FUNC, k=v...]``.

    PARAMS is a mapping or a list of pairs (order kept).  Names are checked because they end up in
    the platform's own parser; values are passed as they are, one argv element each.
    """
    argv = [mgrctl_path, '-m', manager]
    if output is not None:
        if output not in OUTPUT_FORMATS:
            raise MgrctlUsageError('output format %r is not one of %s' % (output, ', '.join(OUTPUT_FORMATS)))
        argv += ['-o', output]
    argv += list(flags)
    if func is not None:
        if not _FUNC_RE.fullmatch(func):
            raise MgrctlUsageError('func %r is not a platform function name (letters, digits, dot, dash, underscore)' % (func,))
        argv.append(func)
    pairs = params.items() if hasattr(params, 'items') else (params or ())
    for key, value in pairs:
        if not _PARAM_RE.fullmatch(str(key)):
            raise MgrctlUsageError('%r is not a parameter name (letters, digits, dot, dash, underscore)' % (key,))
        argv.append('%s=%s' % (key, '' if value is None else value))
    return argv


class Mgrctl:
    """One platform's mgrctl: ``Mgrctl(Runner(module.run_command), MgrLayout(root))``."""

    def __init__(self, runner, layout, timeout=DEFAULT_TIMEOUT):
        self.runner = runner
        self.layout = layout
        self.timeout = timeout

    def argv(self, func=None, params=None, output=None, flags=()):
        return mgrctl_argv(self.layout.mgrctl, self.layout.manager, func, params, output, flags)

    def call(self, func, params=None, output=None):
        """Run FUNC; returns ``(CommandResult, error dict or None)``."""
        result = self.runner.run(self.argv(func, params, output), self.timeout)
        return result, find_error(result, output)

    def describe(self, func):
        """``mgrctl -m MGR -i FUNC``: the function's parameters, or the platform's refusal of it.

        Reads only, so check mode can ask whether the platform knows a function it will not call.
        """
        result = self.runner.run(self.argv(func, flags=('-i',)), self.timeout)
        return result, find_error(result)

    def restart(self):
        """``mgrctl -m MGR -R``; returns ``(CommandResult, error dict or None)``."""
        result = self.runner.run(self.argv(flags=('-R',)), self.timeout)
        return result, find_error(result)

    def answers(self):
        """``(True, output)`` when ``whoami`` succeeds, else ``(False, what it said)``."""
        result, error = self.call('whoami')
        return error is None, result.output


def platform_answers(runner, layout, timeout=DEFAULT_TIMEOUT):
    """Whether the platform answers ``mgrctl -m MGR whoami``: ``(bool, last output)``."""
    return Mgrctl(runner, layout, timeout).answers()


# ---- reading answers --------------------------------------------------------------------------

def parse_pairs(line):
    """``key=value key2=value with spaces`` -> dict; a value runs up to the next `` key=``."""
    starts = list(_KEY_AT_RE.finditer(line))
    pairs = {}
    for number, match in enumerate(starts):
        end = starts[number + 1].start() if number + 1 < len(starts) else len(line)
        pairs[match.group(1)] = line[match.end():end].rstrip()
    return pairs


def parse_text(output):
    """Text output -> one dict per element line; lines without ``key=`` are skipped."""
    elements = []
    for line in (output or '').splitlines():
        if not line.strip() or _ERROR_LINE_RE.match(line):
            continue
        pairs = parse_pairs(line.strip())
        if pairs:
            elements.append(pairs)
    return elements


def parse_form(output):
    """A form (one ``key=value`` per line) -> one dict."""
    form = {}
    for element in parse_text(output):
        form.update(element)
    return form


def parse_error_line(output):
    """The first ``ERROR type(object[,value])`` line -> ``{type, object, value}``, or None."""
    for line in (output or '').splitlines():
        match = _ERROR_LINE_RE.match(line)
        if match:
            return {'type': match.group('type'), 'object': match.group('object'),
                    'value': match.group('value'), 'params': {}, 'msg': None, 'code': None}
    return None


def parse_xml(output):
    """``-o xml`` output -> the root element; raises ValueError when it is not XML."""
    try:
        return ElementTree.fromstring((output or '').strip())
    except ElementTree.ParseError as exc:
        raise ValueError('mgrctl did not print XML: %s' % exc)


def parse_xml_error(output):
    """``<doc><error ...>`` -> ``{type, object, value, code, params, msg}``, or None."""
    try:
        root = parse_xml(output)
    except ValueError:
        return None
    error = root if root.tag == 'error' else root.find('error')
    if error is None:
        return None
    params = {param.get('name'): (param.text or '').strip() for param in error.findall('param')}
    msg = error.find('msg')
    return _error(error.get('type'), error.get('object', params.get('object')),
                  error.get('value', params.get('value')), error.get('code'), params,
                  (msg.text or '').strip() if msg is not None else None)


def parse_json(output):
    """``-o json`` output -> Python data; raises ValueError when it is not JSON."""
    try:
        return json.loads(output or '')
    except ValueError as exc:
        raise ValueError('mgrctl did not print JSON: %s' % exc)


def parse_json_error(output):
    """An error in ``-o json`` output -> ``{type, object, value, code, params, msg}``, or None.

    The platform's JSON mirrors its XML: attributes as ``$name``, text as ``$``; plain keys are
    accepted too.
    """
    try:
        data = parse_json(output)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get('doc'), dict):
        data = data['doc']
    error = data.get('error') if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None
    params = {}
    raw_params = error.get('param') or []
    for param in raw_params if isinstance(raw_params, list) else [raw_params]:
        if isinstance(param, dict):
            params[_json_attr(param, 'name')] = _json_text(param)
    return _error(_json_attr(error, 'type'), _json_attr(error, 'object') or params.get('object'),
                  _json_attr(error, 'value') or params.get('value'), _json_attr(error, 'code'),
                  params, _json_text(error.get('msg')))


def _json_attr(node, name):
    value = node.get('$' + name, node.get(name))
    return None if isinstance(value, (dict, list)) else value


def _json_text(node):
    if isinstance(node, dict):
        return node.get('$')
    return node


def _error(error_type, error_object, value, code, params, msg):
    return {'type': error_type, 'object': error_object, 'value': value, 'code': code,
            'params': params, 'msg': msg}


def find_error(result, output=None):
    """The platform error in RESULT, or None when it succeeded.

    A failure the platform did not describe (non-zero exit without an ERROR, a timeout, a
    missing binary) still comes back as an error, of type ``exit`` or ``timeout``.
    """
    parsers = {'xml': parse_xml_error, 'json': parse_json_error}
    error = parsers.get(output, lambda _text: None)(result.stdout) or parse_error_line(result.stdout) \
        or parse_error_line(result.stderr)
    if error is not None:
        return error
    if result.timed_out:
        return _error('timeout', None, str(result.timeout), None, {}, result.output)
    if result.rc != 0:
        return _error('exit', None, str(result.rc), None, {}, result.output)
    return None


def refuses_function(error, func):
    """Whether ERROR is the platform saying it has no function FUNC (``missed(function,FUNC)``).

    The object's name is not documented, so a ``missed`` error whose value is the function's own
    name counts too; a missing parameter or record (``missed(elid)``) does not.
    """
    if not error or error.get('type') != 'missed':
        return False
    return error.get('object') in ('function', 'func') or (error.get('value') or '') == func


def describe_error(error):
    """One line for a message: ``missed(currency)`` plus the platform's own text when it gave one."""
    if error is None:
        return ''
    inner = ','.join(part for part in (error.get('object'), error.get('value')) if part)
    text = '%s(%s)' % (error.get('type'), inner)
    if error.get('msg'):
        text += ': %s' % error['msg']
    return text
