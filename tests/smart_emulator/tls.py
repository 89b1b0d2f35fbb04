"""TLS for devices that serve KLAP over HTTPS (port 4433): a self-signed certificate made
when first needed, in this process only.

Nothing here is ever written to the repository: the key is generated at run time, written
to a private temporary directory just long enough for ssl to load it, and deleted. A real
device's certificate is self-signed too, and python-kasa does not verify it (its
``transports/sslcontext.py``: no hostname check, CERT_NONE), so any certificate works: one
certificate (SAN 127.0.0.1) serves every emulated HTTPS device of the process.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import os
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HTTPS_PORT = 4433  # python-kasa's KlapTransport.DEFAULT_HTTPS_PORT


def self_signed_pem(common_name: str = "tp-link-emulator") -> tuple[bytes, bytes]:
    """(certificate, private key) in PEM: RSA 2048, valid from yesterday for a year,
    for 127.0.0.0/8 only (no hostnames)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@functools.cache
def server_context() -> ssl.SSLContext:
    """One server context for every emulated HTTPS device of this process."""
    cert_pem, key_pem = self_signed_pem()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix="kasa-emulator-tls-") as tmp:
        cert_path, key_path = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key_pem)
        with open(cert_path, "wb") as f:
            f.write(cert_pem)
        context.load_cert_chain(cert_path, key_path)
    return context
