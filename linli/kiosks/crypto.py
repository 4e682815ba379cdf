"""Encryption at rest of readings: AES-256-GCM with keys kept outside the database.

The key ring is ``settings.LINLI_KIOSK_DATA_KEYS`` ({key id: 32 bytes}, from the environment
variable ``LINLI_KIOSK_DATA_KEYS="k2=<base64>,k1=<base64>"``) and new ciphertexts use
``settings.LINLI_KIOSK_DATA_KEY_ID``. Each row stores the id of the key that sealed it, so a new
key can be introduced at once and old rows re-sealed later (``linli kiosk rekey``); a key id
the ring no longer holds is an error, never a silent skip.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

NONCE_BYTES = 12


class UnknownKey(Exception):
    """A ciphertext names a key id that is not in the configured key ring."""


def _ring() -> dict[str, bytes]:
    ring: dict[str, bytes] = settings.LINLI_KIOSK_DATA_KEYS
    return ring


def current_key_id() -> str:
    """The id of the key new ciphertexts are sealed with."""
    return str(settings.LINLI_KIOSK_DATA_KEY_ID)


def _cipher(key_id: str) -> AESGCM:
    try:
        return AESGCM(_ring()[key_id])
    except KeyError:
        raise UnknownKey(key_id) from None


def seal(plaintext: bytes, *, aad: bytes) -> tuple[str, bytes]:
    """Encrypt ``plaintext`` bound to ``aad`` (the row's identity); returns (key id, blob)."""
    key_id = current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    return key_id, nonce + _cipher(key_id).encrypt(nonce, plaintext, aad)


def sealer() -> tuple[str, AESGCM]:
    """The current key id and its cipher, for sealing many rows in one loop (ingest)."""
    key_id = current_key_id()
    return key_id, _cipher(key_id)


def seal_with(cipher: AESGCM, plaintext: bytes, *, aad: bytes) -> bytes:
    """Encrypt with a cipher from ``sealer``; a fresh random nonce per call."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + cipher.encrypt(nonce, plaintext, aad)


def seal_all(cipher: AESGCM, plaintexts: list[bytes], *, aads: list[bytes]) -> list[bytes]:
    """``seal_with`` for a whole batch: one read of the random source for every nonce."""
    nonces = os.urandom(NONCE_BYTES * len(plaintexts))
    out = []
    for n, (plain, aad) in enumerate(zip(plaintexts, aads, strict=True)):
        nonce = nonces[n * NONCE_BYTES : (n + 1) * NONCE_BYTES]
        out.append(nonce + cipher.encrypt(nonce, plain, aad))
    return out


def open_sealed(key_id: str, blob: bytes | memoryview, *, aad: bytes) -> bytes:
    """Decrypt a blob from ``seal``; raises if it was tampered with or moved to another row."""
    data = bytes(blob)
    return _cipher(key_id).decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], aad)
