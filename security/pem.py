"""The one module that talks to `cryptography`: parse, compare and make PEM keys and certs.

Plain functions with no Django import, so kasamonitor/serve.py can check a key pair
before it starts daphne with TLS.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING

from kasamonitor.lazy import ModuleProxy
from kasamonitor.timestamps import iso_utc

# Loaded at first use (cryptography's Rust core is ~9 MiB): a web process serving plain
# HTTP that is never asked about certificates does not carry it.
x509 = ModuleProxy("cryptography.x509")
hashes = ModuleProxy("cryptography.hazmat.primitives.hashes")
serialization = ModuleProxy("cryptography.hazmat.primitives.serialization")
ec = ModuleProxy("cryptography.hazmat.primitives.asymmetric.ec")
rsa = ModuleProxy("cryptography.hazmat.primitives.asymmetric.rsa")

CERT_MARKER = b"-----BEGIN CERTIFICATE-----"
KEY_MARKERS = (b"-----BEGIN PRIVATE KEY-----", b"-----BEGIN RSA PRIVATE KEY-----",
               b"-----BEGIN EC PRIVATE KEY-----")  # fmt: skip
ENCRYPTED_MARKERS = (b"ENCRYPTED PRIVATE KEY", b"Proc-Type: 4,ENCRYPTED")
if TYPE_CHECKING:
    PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class PemError(ValueError):
    """The bytes are not a usable PEM certificate or key (the message says why)."""


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Return the certificates of a PEM file, leaf first."""
    if CERT_MARKER not in data:
        raise PemError("The file is not a PEM certificate (no BEGIN CERTIFICATE block).")
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise PemError("The certificate could not be parsed.") from exc


def load_private_key(data: bytes) -> PrivateKey:
    """Return an unencrypted RSA (>= 2048 bits) or EC private key from PEM bytes."""
    if any(marker in data for marker in ENCRYPTED_MARKERS):
        raise PemError("Encrypted private keys are not supported; upload it without a passphrase.")
    if not any(marker in data for marker in KEY_MARKERS):
        raise PemError("The file is not a PEM private key (no BEGIN PRIVATE KEY block).")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise PemError("The private key could not be parsed.") from exc
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key
    raise PemError("Only RSA keys of at least 2048 bits and EC keys are supported.")


def _spki(public_key) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_matches(cert: x509.Certificate, key: PrivateKey) -> bool:
    return _spki(cert.public_key()) == _spki(key.public_key())


def files_match(cert_path: Path, key_path: Path) -> bool:
    """Return True when both files parse and the key belongs to the certificate."""
    try:
        cert = load_certificates(cert_path.read_bytes())[0]
        return key_matches(cert, load_private_key(key_path.read_bytes()))
    except (OSError, PemError):
        return False


def certificates_pem(certs: list[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def private_key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def certificate_info(cert: x509.Certificate, now: dt.datetime | None = None) -> dict:
    now = now or dt.datetime.now(dt.UTC)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "valid_from": start.date().isoformat(),
        "valid_until": end.date().isoformat(),
        "not_before": iso_utc(start),
        "not_after": iso_utc(end),
        "serial_number": format(cert.serial_number, "x"),
        "fingerprint_sha256": cert.fingerprint(hashes.SHA256()).hex(":"),
        "subject_alt_names": _alt_names(cert),
        "self_signed": cert.subject == cert.issuer,
        "expired": end < now,
        "days_remaining": (end - now).days,
    }


def _alt_names(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(name.value) for name in ext.value]


def new_private_key(key_size: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def _name(fields: dict[str, str]) -> x509.Name:
    oids = {
        "common_name": x509.NameOID.COMMON_NAME,
        "organization": x509.NameOID.ORGANIZATION_NAME,
        "organizational_unit": x509.NameOID.ORGANIZATIONAL_UNIT_NAME,
        "country": x509.NameOID.COUNTRY_NAME,
        "state": x509.NameOID.STATE_OR_PROVINCE_NAME,
        "locality": x509.NameOID.LOCALITY_NAME,
        "email": x509.NameOID.EMAIL_ADDRESS,
    }
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in fields.items() if v and k in oids])


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def make_csr(key: PrivateKey, fields: dict[str, str], alt_names: list[str]) -> bytes:
    """Return a PEM CSR for the subject `fields` (common_name, organization, ...)."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(fields))
    builder = builder.add_extension(_san(alt_names), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def make_self_signed(
    key: PrivateKey, fields: dict[str, str], alt_names: list[str], days: int = 365
) -> bytes:
    """Return a PEM self-signed server certificate for the subject `fields`."""
    name = _name(fields)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(_san(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)
