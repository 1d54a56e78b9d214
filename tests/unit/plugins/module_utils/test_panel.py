# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The panel section: where ihttpd listens (its assumed config form), and a real TLS handshake."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.billmgr.ops.plugins.module_utils._platform.panel import (
    DEFAULT_PORT,
    check_panel_name,
    endpoints_of,
    panel_facts,
    parse_listen,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import MgrLayout


def test_listen_blocks_give_address_and_port_and_unknown_lines_are_counted():
    text = ('# ihttpd\ncertkey /usr/local/mgr5/etc/manager.key\nlisten {\n\tip 192.0.2.10\n\tport 1501\n}\n'
            'listen {\n  ip 2001:db8::5\n}\n%%weird%%\nlisten {\n port 99999\n}\n')
    endpoints, unread = parse_listen(text)
    assert endpoints == [('192.0.2.10', 1501), ('2001:db8::5', DEFAULT_PORT)]
    assert unread == 2


def test_no_config_or_no_listen_block_means_the_default_port_on_every_address(tmp_path):
    layout = MgrLayout(str(tmp_path))
    endpoints, facts = endpoints_of(layout)
    assert endpoints == [(None, DEFAULT_PORT)] and facts['assumed_default'] and not facts['config_found']
    (tmp_path / 'etc').mkdir()
    (tmp_path / 'etc' / 'ihttpd.conf').write_text('cert /x\n')
    endpoints, facts = endpoints_of(layout)
    assert endpoints == [(None, DEFAULT_PORT)] and facts['assumed_default'] and facts['config_found']


@pytest.mark.parametrize('name', ['billing.example.com', '*.example.com', 'bm01', '192.0.2.1', '::1'])
def test_panel_names_take_host_names_and_addresses(name):
    assert check_panel_name(name) == name


@pytest.mark.parametrize('name', ['', 'a b', 'x;rm', '-x', 'a' * 300, 'é.example'])
def test_panel_names_refuse_anything_else(name):
    with pytest.raises(ValueError, match='panel_names'):
        check_panel_name(name)


class Request:
    def __init__(self, root, names, now=None):
        self.layout = MgrLayout(str(root))
        self.panel_names = names
        self.now = time.time() if now is None else now
        self.tool_timeout = 5


@pytest.fixture()
def tls_panel(tmp_path):
    """A TLS server on 127.0.0.1 with a certificate for bm01, 20 days left, and the config naming it."""
    now = datetime.now(timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'bm01')])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=20, hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName('bm01')]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / 'cert.pem').write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / 'key.pem').write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tmp_path / 'cert.pem'), str(tmp_path / 'key.pem'))
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _peer = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    (tmp_path / 'etc').mkdir()
    (tmp_path / 'etc' / 'ihttpd.conf').write_text('listen {\n\tip 127.0.0.1\n\tport %d\n}\n' % port)
    yield tmp_path, port
    stop.set()
    listener.close()
    thread.join(5)


def test_a_real_handshake_reads_expiry_and_names(tls_panel):
    root, port = tls_panel
    facts = panel_facts(Request(root, ['bm01']))
    assert facts['answers'] and not facts['assumed_default']
    entry = facts['endpoints'][0]
    assert (entry['connect_to'], entry['port'], entry['answers']) == ('127.0.0.1', port, True)
    cert = entry['certificate']
    assert cert['days_left'] == 20 and cert['name_matches'] and cert['self_signed']
    assert cert['dns_names'] == ['bm01'] and cert['names_checked'] == ['bm01']


def test_a_name_the_certificate_does_not_hold_is_a_mismatch(tls_panel):
    root, _port = tls_panel
    cert = panel_facts(Request(root, ['billing.example.com']))['endpoints'][0]['certificate']
    assert cert['name_matches'] is False


def test_nothing_listening_is_reported_not_raised(tmp_path):
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    (tmp_path / 'etc').mkdir()
    (tmp_path / 'etc' / 'ihttpd.conf').write_text('listen {\n ip 0.0.0.0\n port %d\n}\n' % port)
    facts = panel_facts(Request(tmp_path, ['bm01']))
    entry = facts['endpoints'][0]
    assert not facts['answers'] and entry['connect_to'] == '127.0.0.1' and entry['error']
    assert entry['certificate'] is None
