#!/usr/bin/python3
"""Stand-in of the platform's license client `licctl` for the billmgr.ops lab.

licctl info MGR        `Key: value` lines, `ID: 0` when no license is linked
licctl fetch MGR [KEY] link or refresh the license; "Failed to get license" and exit 1 on failure

Like the real client, fetch writes the key it was given into var/licctl.log: modules must mask it.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), 'lib', 'lab'))

import labhost  # noqa: E402

USAGE = 'usage: licctl info MGR | licctl fetch MGR [KEY]\n'
LICENSE_DAYS = 365


def today():
    return time.strftime('%Y-%m-%d', time.localtime())


def info(host):
    lic = host.state('license')
    lines = ['ID: %d' % lic.get('id', 0)]
    if lic.get('id'):
        expire = lic.get('expire', '')
        lines += ['Expire: %s' % expire,
                  'Type: %s' % lic.get('type', 'commercial'),
                  'Status: %s' % ('expired' if expire < today() else 'active')]
    # `JustInstalled <domain>`: a word and its value, no colon (the one other line known to be real).
    lines += ['Product: %s' % host.manager, 'JustInstalled %s.example.net:1500' % host.settings.get('host', 'billing')]
    sys.stdout.write('\n'.join(lines) + '\n')
    return 0


def fetch(host, key):
    log_key = '%d:1' % os.getpid()
    shown_key = (' with key %s' % key) if key else ''
    host.log('licctl', 'licctl', 'INFO', 'Fetching license for %s%s' % (host.manager, shown_key), log_key)
    if host.settings.get('license_fetch_fails'):
        host.log('licctl', 'licctl', 'ERROR', 'License server refused the request: Failed to get license', log_key)
        sys.stdout.write('Failed to get license\n')
        return 1
    with host.locked():
        lic = host.state('license')
        lic['id'] = lic.get('id') or host.settings.get('license_id', 1)
        lic['expire'] = time.strftime('%Y-%m-%d', time.localtime(time.time() + LICENSE_DAYS * 86400))
        lic['type'] = 'commercial'
        lic['product'] = host.manager
        host.save_state(lic, 'license')
        path = host.path('etc', host.manager + '.lic')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(labhost.license_file_text(lic))
    host.log('licctl', 'licctl', 'INFO', 'Got license ID %d for %s, expire %s' % (lic['id'], host.manager,
                                                                               lic['expire']), log_key)
    return 0


def main(argv):
    host = labhost.Host.from_script(__file__)
    if len(argv) < 2 or argv[0] not in ('info', 'fetch') or (argv[0] == 'info' and len(argv) > 2) \
            or len(argv) > 3:
        sys.stderr.write(USAGE)
        return 2
    if argv[1] != host.manager:
        sys.stdout.write('Unknown product %s\n' % argv[1])
        return 1
    if argv[0] == 'info':
        return info(host)
    return fetch(host, argv[2] if len(argv) > 2 else '')


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
