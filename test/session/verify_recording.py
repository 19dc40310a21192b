#!/usr/bin/env python3
"""Independent checker of a recording's manifest and of its chain anchor, written from docs/session.md
("Authenticated manifest", "Playback against the anchor"), docs/envelope.md and docs/chain.md alone.

usage: verify_recording.py MASTER_KEY_HEX RECORDING_DIR [CHAIN_EXPORT.json]

Checks manifest.json (strict JSON, exact fields, chunk numbering, Merkle root, manifest_hash, manifest_mac under
the master key, the fields it repeats from recording.json) and every chunk file's size and SHA-256. With a chain
export it also finds the recording's anchor (the earliest anchor of its session id) and verifies the anchor's
leaf and inclusion proof against its block's merkle_root, and the block's hash and hash chain from the genesis.
(The finality certificates are not checked here: `lucid chain export` verifies them, docs/chain.md.)
Prints "ok manifest <session> <chunks>" and, with an export, "ok anchor <kind> <height>"; exits 1 on any failure.
"""
import hashlib
import hmac
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FIELDS_V2 = {"format", "session_id", "owner_address", "started_at", "ended_at", "key_id", "codec", "chunk_count",
             "merkle_root", "chunks", "manifest_hash", "manifest_mac"}
CHUNK_FIELDS = {"index", "size", "ciphertext_sha256", "plaintext_size"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def strict_load(path):
    """RFC 8259 JSON, no duplicate key, integers only (no fraction, no exponent), within 2^53 - 1."""
    def pairs(items):
        keys = [k for k, _ in items]
        if len(keys) != len(set(keys)):
            fail("%s: duplicate key" % path)
        return dict(items)

    def no_float(text):
        fail("%s: a number that is not an integer (%s)" % (path, text))

    def no_constant(text):
        fail("%s: %s is not JSON" % (path, text))

    def integer(text):
        n = int(text)
        if abs(n) > 2 ** 53 - 1:
            fail("%s: integer out of range" % path)
        return n

    with open(path, encoding="utf-8") as f:
        return json.loads(f.read(), object_pairs_hook=pairs, parse_float=no_float, parse_int=integer,
                          parse_constant=no_constant)


def jcs(value):
    """RFC 8785 for these values (strings, integers, objects, arrays, booleans, null): keys sorted by their
    UTF-16 code units (not code points: they differ outside the Basic Multilingual Plane), no whitespace."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(value[k]) for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def merkle_levels(leaves):
    level = [sha(b"\x00", leaf) for leaf in leaves]
    levels = [level]
    while len(level) > 1:
        up = [sha(b"\x01", level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2 == 1:
            up.append(level[-1])  # an odd last node is promoted unchanged
        level = up
        levels.append(level)
    return levels


def merkle_root(leaves):
    return merkle_levels(leaves)[-1][0] if leaves else sha()


def inclusion_proof(leaves, index):
    """Sibling hashes bottom up; a promoted node has no sibling at its level."""
    proof = []
    for level in merkle_levels(leaves)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
    return proof


def verify_proof(leaf, index, count, proof, root):
    node = sha(b"\x00", leaf)
    steps = iter(proof)
    while count > 1:
        if index % 2 == 1:
            node = sha(b"\x01", next(steps), node)
        elif index + 1 < count:
            node = sha(b"\x01", node, next(steps))
        index //= 2
        count = (count + 1) // 2
    return node == root and next(steps, None) is None


def check_manifest(master, directory):
    info = strict_load(os.path.join(directory, "recording.json"))
    m = strict_load(os.path.join(directory, "manifest.json"))
    if m.get("format") != "lucid-session-manifest/2":
        fail("format %r: only format 2 carries manifest_mac" % m.get("format"))
    if set(m) != FIELDS_V2:
        fail("manifest fields %s" % sorted(set(m) ^ FIELDS_V2))
    for k in ("session_id", "owner_address", "started_at", "key_id", "codec"):
        if m[k] != info.get(k):
            fail("manifest %s %r is not recording.json's %r" % (k, m[k], info.get(k)))
    chunks = m["chunks"]
    if m["chunk_count"] != len(chunks):
        fail("chunk_count %d, %d chunks listed" % (m["chunk_count"], len(chunks)))
    leaves = []
    for i, c in enumerate(chunks):
        if not isinstance(c, dict) or set(c) != CHUNK_FIELDS or c["index"] != i:
            fail("chunks[%d]" % i)
        data = open(os.path.join(directory, "chunks", "%012d.lsc" % i), "rb").read()
        if len(data) != c["size"] or hashlib.sha256(data).hexdigest() != c["ciphertext_sha256"]:
            fail("chunk %d: size or SHA-256 differs from the manifest" % i)
        leaves.append(struct.pack(">Q", i) + bytes.fromhex(c["ciphertext_sha256"]) + struct.pack(">Q", c["size"]))
    if merkle_root(leaves).hex() != m["merkle_root"]:
        fail("merkle_root does not match the chunk list")
    body = {k: v for k, v in m.items() if k not in ("manifest_hash", "manifest_mac")}
    if sha(jcs(body).encode("utf-8")).hex() != m["manifest_hash"]:
        fail("manifest_hash does not match the manifest")
    mac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"lucid/session/v1/manifest-mac").derive(master)
    mac = hmac.new(mac_key, b"LUCID-MANIFEST-V1" + bytes.fromhex(m["manifest_hash"]), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, m["manifest_mac"]):
        fail("manifest_mac does not verify under this master key")
    print("ok manifest %s %d" % (m["session_id"], len(chunks)))
    return m


def check_anchor(m, export_path):
    doc = json.load(open(export_path, encoding="utf-8"))
    previous = sha(jcs(doc["genesis"]).encode("utf-8")).hex()
    session = m["session_id"]
    expected_digest = sha(("%s:%s" % (m["manifest_hash"], m["merkle_root"])).encode("utf-8")).hex()
    for entry in doc["blocks"]:
        block, header = entry["block"], entry["block"]["header"]
        if header["previous_hash"] != previous:
            fail("block %d does not extend the chain" % header["height"])
        previous = sha(jcs(header).encode("utf-8")).hex()
        if previous != entry["hash"]:
            fail("block %d hash" % header["height"])
        txs = block["transactions"]
        tx_leaves = [b"T" + sha(jcs({k: t[k] for k in ("type", "from", "nonce", "timestamp", "payload")}).encode("utf-8"))
                     for t in txs]
        sessions = [{k: t["payload"][k] for k in ("session_id", "manifest_hash", "merkle_root")}
                    for t in txs if t["type"] == "session_anchor"]
        datas = [{k: t["payload"][k] for k in ("label", "data_hash_sha256", "submitted_at")}
                 for t in txs if t["type"] == "data_anchor"]
        leaves = (tx_leaves + [b"A" + sha(jcs(a).encode("utf-8")) for a in sessions]
                  + [b"D" + sha(jcs(d).encode("utf-8")) for d in datas])
        found = None
        for i, a in enumerate(sessions):
            if a["session_id"] == session:
                found = ("session", len(tx_leaves) + i, a["manifest_hash"] == m["manifest_hash"] and a["merkle_root"] == m["merkle_root"])
                break
        if found is None:
            for i, d in enumerate(datas):
                if d["label"] == session:
                    found = ("data", len(tx_leaves) + len(sessions) + i, d["data_hash_sha256"] == expected_digest)
                    break
        if found is None:
            continue
        kind, index, matches = found
        if not matches:
            fail("the earliest anchor of session %s (block %d, %s) is not of this manifest" % (session, header["height"], kind))
        proof = inclusion_proof(leaves, index)
        if not verify_proof(leaves[index], index, len(leaves), proof, bytes.fromhex(header["merkle_root"])):
            fail("the anchor's inclusion proof does not lead to block %d's merkle_root" % header["height"])
        print("ok anchor %s %d" % (kind, header["height"]))
        return
    fail("session %s is not anchored in the export" % session)


def main():
    master = bytes.fromhex(sys.argv[1])
    if len(master) != 32:
        fail("master key must be 32 bytes")
    m = check_manifest(master, sys.argv[2])
    if len(sys.argv) > 3:
        check_anchor(m, sys.argv[3])


if __name__ == "__main__":
    main()
