#!/usr/bin/python3
"""gen_handoff_seeds.py - seeds for fuzz_handoff (tests/fuzz/corpus/
fuzz_handoff/): one byte of descriptor count, then a packed Handoff
(proto/supervisor.proto) written by hand: regions, links, the store.
Run from the top of the tree; rewrites the seeds."""
import os


def varint(v):
    out = b""
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def handoff(regions=(), links=(), store=False, version=1):
    m = field(1, 0, version) + field(2, 2, b"/run/parapet")
    m += field(3, 0, 4242) + field(4, 0, 1)
    for name, side in regions:
        m += field(5, 2, field(1, 2, name) + field(2, 0, side))
    if store:
        m += field(6, 0, 1)
    for name in links:
        m += field(7, 2, name)
    return m


SEEDS = {
    "netd_links": (9, handoff([(b"ring0", 0), (b"ring1", 0)],
                              [b"host", b"wire"], True)),
    "links_only": (2, handoff(links=[b"host", b"wire"])),
    "links_short": (1, handoff(links=[b"host", b"wire"])),
    "link_dup": (2, handoff(links=[b"host", b"host"])),
    "link_bad_name": (1, handoff(links=[b"Host!"])),
    "regions_store": (4, handoff([(b"ring0", 1)], store=True)),
}

d = "tests/fuzz/corpus/fuzz_handoff"
os.makedirs(d, exist_ok=True)
for name, (nfds, body) in SEEDS.items():
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes([nfds]) + body)
