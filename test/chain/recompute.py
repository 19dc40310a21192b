#!/usr/bin/env python3
"""Recomputes every hash and root of a `lucid chain export` document, written from docs/chain.md alone
with nothing but hashlib and json. Prints `ok BLOCKS TRANSACTIONS ANCHORS DATA_ANCHORS` or the first mismatch (exit 1).

Usage: recompute.py EXPORT.json
"""
import hashlib
import json
import sys


def jcs(value):
    # RFC 8785 for chain objects: integers only, so sorted keys, no whitespace and ECMAScript string
    # escaping (which json.dumps with ensure_ascii=False matches for these strings) is the whole rule.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def merkle_root(leaves):
    if not leaves:
        return sha()
    level = [sha(b"\x00", leaf) for leaf in leaves]
    while len(level) > 1:
        up = [sha(b"\x01", level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2 == 1:
            up.append(level[-1])  # promoted, never duplicated
        level = up
    return level[0]


def fail(msg):
    print("MISMATCH: " + msg)
    sys.exit(1)


def main():
    doc = json.load(open(sys.argv[1], encoding="utf-8"))
    # Version 2: certificates carry the round of their precommits; round-less ones (version 1, and blocks
    # finalised before the voting rounds) are still read.
    schema = doc.get("schema")
    if schema not in ("lucid-chain-export/1", "lucid-chain-export/2"):
        fail("unknown schema %r" % schema)
    genesis_hash = sha(jcs(doc["genesis"])).hex()
    if genesis_hash != doc["genesis_hash"]:
        fail("genesis hash %s != %s" % (genesis_hash, doc["genesis_hash"]))
    previous = genesis_hash
    txs = anchors_total = data_total = 0
    prev_block = None
    for i, entry in enumerate(doc["blocks"]):
        block, header = entry["block"], entry["block"]["header"]
        if header["height"] != i + 1:
            fail("block %d has height %d" % (i + 1, header["height"]))
        if header["previous_hash"] != previous:
            fail("block %d previous_hash %s != %s" % (i + 1, header["previous_hash"], previous))
        tx_ids = []
        for tx in block["transactions"]:
            body = {k: tx[k] for k in ("type", "from", "nonce", "timestamp", "payload")}
            tx_ids.append(sha(jcs(body)))
        anchors = [{"session_id": t["payload"]["session_id"], "manifest_hash": t["payload"]["manifest_hash"],
                    "merkle_root": t["payload"]["merkle_root"]} for t in block["transactions"] if t["type"] == "session_anchor"]
        if anchors != block["anchors"]:
            fail("block %d anchors differ from its session_anchor transactions" % (i + 1))
        # Data anchors (public timestamps) are not listed in the block: their leaves come from the transactions,
        # tagged "D" so that none can equal a session anchor's "A" leaf.
        data_anchors = [{"label": t["payload"]["label"], "data_hash_sha256": t["payload"]["data_hash_sha256"],
                         "submitted_at": t["payload"]["submitted_at"]} for t in block["transactions"] if t["type"] == "data_anchor"]
        leaves = ([b"T" + t for t in tx_ids] + [b"A" + sha(jcs(a)) for a in anchors]
                  + [b"D" + sha(jcs(d)) for d in data_anchors])
        root = merkle_root(leaves).hex()
        if root != header["merkle_root"]:
            fail("block %d merkle root %s != %s" % (i + 1, root, header["merkle_root"]))
        if header["tx_count"] != len(tx_ids) or header["anchor_count"] != len(anchors):
            fail("block %d counts" % (i + 1))
        h = sha(jcs(header)).hex()
        if h != entry["hash"]:
            fail("block %d hash %s != %s" % (i + 1, h, entry["hash"]))
        cert = entry["certificate"]
        if cert["block_hash"] != h or cert["height"] != header["height"]:
            fail("block %d certificate names %s at %d" % (i + 1, cert["block_hash"], cert["height"]))
        if "round" in cert:
            # A block is decided in the round of its slot or a later one (a round is a slot).
            if schema == "lucid-chain-export/1" or not isinstance(cert["round"], int) or cert["round"] < header["slot"]:
                fail("block %d certificate round %r (slot %d)" % (i + 1, cert["round"], header["slot"]))
            if set(cert) != {"height", "round", "block_hash", "votes"}:
                fail("block %d certificate fields %s" % (i + 1, sorted(cert)))
        elif set(cert) != {"height", "block_hash", "votes"}:
            fail("block %d certificate fields %s" % (i + 1, sorted(cert)))
        parent_cert = block["parent_certificate"]
        if prev_block is None:
            if parent_cert is not None:
                fail("block 1 carries a parent certificate")
        elif parent_cert is None or parent_cert["block_hash"] != previous or parent_cert["height"] != header["height"] - 1:
            fail("block %d parent certificate does not name its parent" % (i + 1))
        previous = h
        prev_block = block
        txs += len(tx_ids)
        anchors_total += len(anchors)
        data_total += len(data_anchors)
    print("ok %d %d %d %d" % (len(doc["blocks"]), txs, anchors_total, data_total))


if __name__ == "__main__":
    main()
