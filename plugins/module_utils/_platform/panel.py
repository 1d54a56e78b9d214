# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does the panel answer: the platform's web server ``ihttpd`` takes a TLS connection on the host,
and what its certificate says (expiry, names).

Where ihttpd listens is read from ``etc/ihttpd.conf``. Its form is [assumed] (the runbooks do not
show it): ``listen { ip ADDRESS port PORT }`` blocks, one setting a line, as the vendor's
documentation shows for changing the panel's port; a file that is missing or names no port means
the documented default, port 1500 on every address, which is reached on 127.0.0.1. Lines of the
file we do not read are counted, never guessed at. The certificate is taken without verifying it
(a panel's certificate is often self-signed) and read by ``certinfo``. Stdlib only.
"""

from __future__ import annotations

import os
import re
import socket
import ssl

from ansible_collections.billmgr.ops.plugins.module_utils._platform.certinfo import CertificateError, name_matches, parse_certificate
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import read_text

DEFAULT_PORT = 1500
CONFIG_NAME = 'ihttpd.conf'
# A server listening on every address is reached on the host's loopback.
_ANY = {'0.0.0.0': '127.0.0.1', '::': '::1', '*': '127.0.0.1', '': '127.0.0.1'}
_SETTING_RE = re.compile(r'(?P<name>[A-Za-z_]\w{0,63})(?:\s+(?P<value>[^\s{}]{1,255}))?\s*(?P<open>\{)?')
# More than this many endpoints in one config is not a panel; the rest are left unchecked and said so.
MAX_ENDPOINTS = 8
DAY = 86400


def parse_listen(text):
    """``(endpoints, unread)``: [(ip or None, port)] of each ``listen`` block, and lines not understood."""
    endpoints, unread = [], 0
    block = None
    for raw in (text or '').splitlines():
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        if line == '}':
            if block is not None:
                endpoints.append((block.get('ip'), block.get('port')))
            block = None
            continue
        match = _SETTING_RE.fullmatch(line)
        if match is None:
            unread += 1
            continue
        name, value = match.group('name').lower(), match.group('value')
        if match.group('open'):
            block = {} if name == 'listen' else None
            continue
        if block is not None and name in ('ip', 'port') and value:
            block[name] = value
    ports = []
    for address, port in endpoints:
        if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
            unread += 1
            continue
        ports.append((address, int(port) if port else DEFAULT_PORT))
    return ports, unread


def endpoints_of(layout, read=read_text):
    """``(endpoints, facts)``: where to knock, and what the config said (path, found, assumed)."""
    path = os.path.join(layout.etc_dir, CONFIG_NAME)
    facts = {'config': path, 'config_found': False, 'unread_lines': 0, 'assumed_default': True}
    try:
        text = read(path, what='ihttpd config')
    except FileNotFoundError:
        return [(None, DEFAULT_PORT)], facts
    except OSError as exc:
        facts['config_error'] = 'cannot read %s: %s' % (path, exc.strerror or exc)
        return [(None, DEFAULT_PORT)], facts
    facts['config_found'] = True
    found, facts['unread_lines'] = parse_listen(text)
    if not found:
        return [(None, DEFAULT_PORT)], facts
    facts['assumed_default'] = False
    if len(found) > MAX_ENDPOINTS:
        facts['endpoints_left_out'] = len(found) - MAX_ENDPOINTS
    return found[:MAX_ENDPOINTS], facts


def fetch_certificate(address, port, timeout):
    """``(der, tls_version)`` from a TLS handshake with ADDRESS:PORT; raises OSError on failure."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Read, not trust: the point is to report what is served, expired or self-signed alike.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((address, port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=None) as tls:
            return tls.getpeercert(binary_form=True), tls.version()


def certificate_facts(der, names, now):
    cert = parse_certificate(der)
    left = cert['not_after'].timestamp() - now
    return {
        'subject_cn': cert['subject_cn'], 'issuer_cn': cert['issuer_cn'],
        'self_signed': cert['subject_cn'] is not None and cert['subject_cn'] == cert['issuer_cn'],
        'not_before': cert['not_before'].strftime('%Y-%m-%dT%H:%M:%SZ'),
        'not_after': cert['not_after'].strftime('%Y-%m-%dT%H:%M:%SZ'),
        'not_after_epoch': int(cert['not_after'].timestamp()),
        # Whole days, rounded down: 0 on its last day, negative once expired.
        'days_left': int(left // DAY),
        'dns_names': cert['dns_names'], 'ip_addresses': cert['ip_addresses'],
        'names_checked': list(names),
        'name_matches': any(name_matches(cert, name) for name in names),
    }


def probe_endpoint(address, port, names, now, timeout, fetch=fetch_certificate):
    target = _ANY.get(address or '', address)
    entry = {'address': address, 'port': port, 'connect_to': target, 'answers': False, 'error': None,
             'tls_version': None, 'certificate': None}
    try:
        der, entry['tls_version'] = fetch(target, port, timeout)
    except (OSError, ValueError) as exc:
        entry['error'] = '%s:%s: %s' % (target, port, exc.strerror if getattr(exc, 'strerror', None) else exc)
        return entry
    entry['answers'] = True
    try:
        entry['certificate'] = certificate_facts(der, names, now)
    except CertificateError as exc:
        entry['certificate_error'] = 'the certificate served could not be read: %s' % exc
    return entry


def host_names():
    """The name this host is reached by when none are given: its hostname. Not getfqdn(): a resolver
    that does not answer would hold the whole sweep of the host for its timeouts."""
    name = socket.gethostname()
    return [name] if name else []


def panel_facts(request, fetch=fetch_certificate):
    """The ``panel`` section of billmgr_facts."""
    endpoints, facts = endpoints_of(request.layout)
    names = list(request.panel_names) or host_names()
    facts['endpoints'] = [probe_endpoint(address, port, names, request.now, request.tool_timeout, fetch)
                          for address, port in endpoints]
    facts['answers'] = any(entry['answers'] for entry in facts['endpoints'])
    return facts


_NAME_RE = re.compile(r'(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?|[0-9A-Fa-f:.]{2,45}')


def check_panel_name(name):
    """NAME if it is a host name or an IP address, else ValueError naming the option."""
    if not isinstance(name, str) or len(name) > 253 or not _NAME_RE.fullmatch(name):
        raise ValueError('panel_names takes host names or IP addresses, not %r' % (name,))
    return name
