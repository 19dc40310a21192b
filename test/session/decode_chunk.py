#!/usr/bin/env python3
"""Independent decoder of a Lucid chunk envelope, written from docs/envelope.md alone.

usage: decode_chunk.py MASTER_KEY_HEX ENVELOPE_FILE OUT_FILE
Writes the chunk's plaintext to OUT_FILE and prints "index=<i> session=<id> size=<n>".
Exits 1 with a message on any check that fails.
"""
import struct
import sys
import zlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def gunzip_exact(data):
    """Every gzip member to the end of the stream, as a windowBits=31 loop reads it: anything after a
    member that is not another whole member (zero bytes included) is refused. gzip.decompress would
    skip trailing zeros, which envelope.md does not allow."""
    out = []
    while True:
        d = zlib.decompressobj(31)
        try:
            out.append(d.decompress(data))
        except zlib.error as e:
            fail(f'gzip: {e}')
        if not d.eof:
            fail('gzip: truncated member')
        data = d.unused_data
        if not data:
            return b''.join(out)


def main():
    master = bytes.fromhex(sys.argv[1])
    data = open(sys.argv[2], 'rb').read()
    if len(master) != 32:
        fail('master key must be 32 bytes')
    if len(data) < 70 + 1 + 16:
        fail('too short')
    magic, version, compression, flags, index, plaintext_size = struct.unpack('>4sBBHQQ', data[0:24])
    salt = data[24:56]
    nonce = data[56:68]
    (sid_len,) = struct.unpack('>H', data[68:70])
    if magic != b'LUCS' or version != 1 or compression != 1 or flags != 0:
        fail('bad magic, version, compression or flags')
    if not 1 <= sid_len <= 512 or len(data) < 70 + sid_len + 16:
        fail('bad session id length')
    if plaintext_size > 64 * 1024 * 1024:
        fail('plaintext too large')
    session_id = data[70:70 + sid_len].decode('utf-8', errors='strict')
    header = data[:70 + sid_len]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
               info=b'lucid/session/v1/chunk-key:' + session_id.encode('utf-8')).derive(master)
    compressed = AESGCM(key).decrypt(nonce, data[70 + sid_len:], header)
    plaintext = gunzip_exact(compressed)
    if len(plaintext) != plaintext_size:
        fail('plaintext size mismatch')
    open(sys.argv[3], 'wb').write(plaintext)
    print(f'index={index} session={session_id} size={len(plaintext)}')


if __name__ == '__main__':
    main()
