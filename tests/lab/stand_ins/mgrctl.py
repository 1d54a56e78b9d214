#!/usr/bin/python3
"""Stand-in of BILLmanager's `mgrctl` for the billmgr.ops lab.

mgrctl [-m MGR] [-o text|xml|json|devel] [-R] [-l] [-u] [-i [FUNC]] [FUNC [param=value ...]]

What success prints and the error codes are the lab's guesses (the platform does not document
them); error lines, exit status and the XML error shape follow the platform.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), 'lib', 'lab'))

import labhost  # noqa: E402
import mgrfuncs  # noqa: E402
from mgrout import Answer, render  # noqa: E402

USAGE = 'usage: mgrctl [-m MGR] [-o text|xml|json|devel] [-R] [-l] [-u] [-i [FUNC]] [FUNC [param=value ...]]\n'
FORMATS = ('text', 'xml', 'json', 'devel')
KEEP_RESTARTS = 200


class UsageError(Exception):
    pass


class Options:
    def __init__(self):
        self.manager = 'billmgr'
        self.output = 'text'
        self.restart = self.block = self.unblock = self.info = False
        self.func = None
        self.params = []


def parse(argv):
    opts = Options()
    args = list(argv)
    while args and args[0].startswith('-'):
        flag = args.pop(0)
        if flag[:2] in ('-m', '-o'):
            value = flag[2:] or (args.pop(0) if args else None)
            if not value:
                raise UsageError('%s needs a value' % flag[:2])
            if flag[:2] == '-m':
                opts.manager = value
            elif value not in FORMATS:
                raise UsageError('unknown output format %s' % value)
            else:
                opts.output = value
        elif flag in ('-R', '-l', '-u', '-i'):
            setattr(opts, {'-R': 'restart', '-l': 'block', '-u': 'unblock', '-i': 'info'}[flag], True)
        else:
            raise UsageError('unknown option %s' % flag)
    if args:
        opts.func = args.pop(0)
    for arg in args:
        name, _sep, value = arg.partition('=')
        opts.params.append((name, value))
    if not (opts.func or opts.restart or opts.block or opts.unblock or opts.info):
        raise UsageError('no function given')
    return opts


def unavailable(host, state):
    """The error a call gets when core does not answer, else None."""
    if state.get('broken'):
        return Answer.error('connect', host.manager, '', 'core of %s does not start' % host.manager)
    if not state.get('up', True):
        return Answer.error('connect', host.manager, '', '%s is not running' % host.manager)
    if labhost.time.time() < state.get('restart_until', 0):
        return Answer.error('connect', host.manager, '', '%s is restarting' % host.manager)
    if state.get('blocked'):
        return Answer.error('blocked', host.manager, '', '%s is blocked (mgrctl -l); unblock it with mgrctl -u'
                            % host.manager)
    return None


def restart(host):
    now = labhost.time.time()
    with host.locked():
        state = host.state()
        state['restarts'] = (state.get('restarts') or [])[-KEEP_RESTARTS + 1:] + [labhost.iso(now)]
        host.stop('core')
        if host.settings.get('restart_fails'):
            state['broken'] = True
        else:
            state['up'] = True
            state['restart_until'] = now + float(host.settings.get('restart_delay', 2))
            host.spawn('bin/core', 'core')
        host.save_state(state)
    host.log('mgrctl', 'mgrctl', 'INFO', 'Restart of %s requested' % host.manager)
    host.log(host.manager, 'core', 'INFO', 'Restart requested by mgrctl')


def set_blocked(host, blocked):
    with host.locked():
        state = host.state()
        state['blocked'] = blocked
        host.save_state(state)
    host.log('mgrctl', 'mgrctl', 'INFO', '%s %s' % (host.manager, 'blocked' if blocked else 'unblocked'))


def call(host, opts):
    answer = unavailable(host, host.state())
    if answer is not None:
        host.log('mgrctl', 'mgrctl', 'ERROR', 'No answer from %s: %s' % (host.manager, answer.msg))
        return answer
    if opts.info:
        query = mgrfuncs.query_text('funcinfo', [('elid', opts.func)] if opts.func else [])
    else:
        query = mgrfuncs.query_text(opts.func, opts.params)
    host.log('mgrctl', 'mgrctl', 'EXTINFO', 'Query(%r)' % query)
    host.log(host.manager, 'rpc', 'EXTINFO', 'Query(%r)' % query)
    if opts.info:
        answer = mgrfuncs.describe(opts.func)
    else:
        answer = mgrfuncs.run(host, opts.func, dict(opts.params))
    if answer.kind == 'error':
        host.log(host.manager, 'libmgr', 'ERROR', "Error: Type: '%s' Object: '%s' Value: '%s'"
                 % (answer.type, answer.object, answer.value))
    return answer


def main(argv):
    host = labhost.Host.from_script(__file__)
    if host.settings.get('hang'):
        labhost.hang_forever()
    # A slow platform on demand: a test writes seconds to lab/mgrctl_delay to act while a call runs
    # (tests/integration/test_faults.py stops the host's sshd then).
    delay = labhost.read_json(host.path('lab', 'mgrctl_delay'), 0)
    if delay:
        time.sleep(float(delay))
    try:
        opts = parse(argv)
    except UsageError as exc:
        sys.stderr.write('mgrctl: %s\n%s' % (exc, USAGE))
        return 2
    if opts.manager != host.manager:
        answer = Answer.error('missed', 'manager', opts.manager, 'Unknown manager %s' % opts.manager)
    elif opts.restart or opts.block or opts.unblock:
        if opts.restart:
            restart(host)
        if opts.block or opts.unblock:
            set_blocked(host, opts.block)
        return 0
    else:
        answer = call(host, opts)
    sys.stdout.write(render(answer, opts.output))
    return 1 if answer.kind == 'error' else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
