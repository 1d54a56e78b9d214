"""The panel of a lab host: etc/ihttpd.conf, and the certificate and key its ihttpd stand-in serves.

Each host's ihttpd listens with TLS on the host's own loopback address, port 1500 (hosts share the
machine's network, their addresses differ). The certificate is self-signed, made here with the
`cryptography` package Ansible itself depends on; the collection reads it on the host with the
standard library only. Faults: `panel_down` (ihttpd fails to start), `panel_cert_expiring` (days
left, negative once expired), `panel_cert_wrong_name` (valid for another name than the host's).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from ipaddress import ip_address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PORT = 1500
# A healthy panel's certificate runs this long: far from any threshold.
HEALTHY_DAYS = 200
WRONG_NAME = 'panel.wrong-name.invalid'


def ihttpd_conf_text(address: str, port: int = PORT) -> str:
    # The form is assumed (see plugins/module_utils/_platform/panel.py): listen blocks, one setting a line.
    return ('# ihttpd settings (lab)\n'
            'certkey /usr/local/mgr5/etc/manager.key\n'
            'cert /usr/local/mgr5/etc/manager.crt\n'
            'listen {\n'
            f'\tip {address}\n'
            f'\tport {port}\n'
            '}\n')


def certificate(name: str, address: str, days_left: int, now: datetime | None = None):
    """(certificate PEM, key PEM) of a self-signed certificate for NAME and ADDRESS (or the wrong name)."""
    now = now or datetime.now(timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    not_after = now + timedelta(days=days_left, hours=12)
    alt = [x509.DNSName(name)]
    if name != WRONG_NAME:
        alt.append(x509.IPAddress(ip_address(address)))
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(min(now, not_after) - timedelta(days=90)).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def write_panel(mgr_root: Path, spec, address: str, now: datetime | None = None):
    """etc/ihttpd.conf, etc/manager.crt, etc/manager.key (0600) and lab/panel.json of one host."""
    etc = Path(mgr_root) / 'etc'
    days = spec.fault('panel_cert_expiring')
    days = HEALTHY_DAYS if days is None else days
    name = WRONG_NAME if spec.fault('panel_cert_wrong_name') else spec.name
    cert_pem, key_pem = certificate(name, address, days, now)
    (etc / 'ihttpd.conf').write_text(ihttpd_conf_text(address))
    (etc / 'manager.crt').write_bytes(cert_pem)
    fd = os.open(etc / 'manager.key', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as handle:
        handle.write(key_pem)
    state = {'down': bool(spec.fault('panel_down')), 'address': address, 'port': PORT}
    (Path(mgr_root) / 'lab' / 'panel.json').write_text(json.dumps(state, indent=1) + '\n')
