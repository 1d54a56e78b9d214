# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stdlib DER reader of the panel check, against certificates made by the cryptography package."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from ipaddress import ip_address

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.billmgr.ops.plugins.module_utils._platform.certinfo import CertificateError, name_matches, parse_certificate

PINNED = datetime(2031, 5, 17, 8, 30, tzinfo=timezone.utc)


def make_der(cn='billing.example.com', dns=('billing.example.com',), ips=(), not_after=PINNED, issuer='Lab CA'):
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Lab'),
                                       x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
               .public_key(key.public_key()).serial_number(12345)
               .not_valid_before(not_after - timedelta(days=90)).not_valid_after(not_after))
    alt = [x509.DNSName(name) for name in dns] + [x509.IPAddress(ip_address(ip)) for ip in ips]
    if alt:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_names_and_times_are_read():
    cert = parse_certificate(make_der(dns=('billing.example.com', '*.panel.example.com'), ips=('192.0.2.7', '2001:db8::1')))
    assert cert['subject_cn'] == 'billing.example.com' and cert['issuer_cn'] == 'Lab CA'
    assert cert['not_after'] == PINNED and cert['not_before'] == PINNED - timedelta(days=90)
    assert cert['dns_names'] == ['billing.example.com', '*.panel.example.com']
    assert cert['ip_addresses'] == ['192.0.2.7', '2001:db8::1'] and cert['has_san']


def test_a_generalized_time_after_2049_is_read():
    far = datetime(2061, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert parse_certificate(make_der(not_after=far))['not_after'] == far


@pytest.mark.parametrize('name, expected', [
    ('billing.example.com', True), ('BILLING.example.com.', True), ('a.panel.example.com', True),
    ('panel.example.com', False), ('a.b.panel.example.com', False), ('example.com', False),
    ('192.0.2.7', True), ('192.0.2.8', False),
])
def test_names_match_as_rfc_6125_says(name, expected):
    cert = parse_certificate(make_der(dns=('billing.example.com', '*.panel.example.com'), ips=('192.0.2.7',)))
    assert name_matches(cert, name) is expected


def test_the_common_name_counts_only_without_subject_alt_names():
    bare = parse_certificate(make_der(cn='bm01', dns=()))
    assert not bare['has_san'] and name_matches(bare, 'bm01')
    with_san = parse_certificate(make_der(cn='bm01', dns=('other.example.com',)))
    assert not name_matches(with_san, 'bm01')


@pytest.mark.parametrize('der', [b'', b'\x30', b'\x30\x84\xff\xff\xff\xff', b'\x02\x01\x00', b'\x30\x03\x30\x01\x00'])
def test_what_is_not_a_certificate_is_refused(der):
    with pytest.raises(CertificateError):
        parse_certificate(der)


def test_a_truncated_certificate_is_refused():
    der = make_der()
    with pytest.raises(CertificateError):
        parse_certificate(der[:len(der) // 2])
