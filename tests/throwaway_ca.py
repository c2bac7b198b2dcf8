"""A throwaway certificate authority per test run, for the fake Anthropic endpoint's TLS.

Claude Code trusts it through NODE_EXTRA_CA_CERTS (measured: the Bun binary honours it), so the
real CLI talks TLS to the fake exactly as to the real hosts. Keys live in a temporary directory and
die with it; nothing here is committed.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fake_anthropic import HOSTS, SIGN_IN_HOSTS


@dataclass(frozen=True)
class Bundle:
    ca: Path     # the CA certificate (PEM): what NODE_EXTRA_CA_CERTS names
    cert: Path   # the server certificate for HOSTS (PEM)
    key: Path    # its private key (PEM)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make(directory: Path, hosts: tuple[str, ...] = HOSTS + SIGN_IN_HOSTS) -> Bundle:
    """Writes ca.pem, server.pem and server-key.pem into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=2)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("aifactory tests throwaway CA")
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    bundle = Bundle(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    bundle.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    bundle.cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    bundle.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    bundle.key.chmod(0o600)
    return bundle
