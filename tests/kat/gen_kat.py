#!/usr/bin/env python3
"""gen_kat.py - turn the ESP, AEAD and HMAC vectors of tests/vectors into a
C header of arrays for tests/kat/test_kat_esp.c.

Usage: gen_kat.py VECTORS_DIR OUT.h [KAT_DIR]

KAT_DIR (tests/kat) adds the vectors copied there for the OpenSSL
backend's algorithms: AES-CBC (RFC 3602, NIST SP 800-38A), AES-CTR
(RFC 3686) into kat_cipher[], HMAC-SHA-1 (RFC 2202) and AES-XCBC-MAC
(RFC 3566) into kat_hmac[].

Every case of every input file becomes one row; the C test decides which
rows our transforms cover and counts the others as skipped, loudly. The
vectors are read-only; nothing here interprets them beyond hex decoding.
"""
import json
import os
import sys

ESP_FILES = [
    "esp_aes_gcm_gmac_draft_mcgrew_gcm_test_01.jsonl",
    "esp_chacha20poly1305_rfc7634.jsonl",
]
AEAD_FILES = ["aead_chacha20poly1305_rfc8439.jsonl"]
HMAC_FILES = ["hmac_sha2_rfc4231.jsonl", "hmac_sha2_ipsec_rfc4868.jsonl"]
KAT_CIPHER_FILES = ["cipher_rfc3602_rfc3686.jsonl"]
KAT_MAC_FILES = ["mac_rfc2202_rfc3566.jsonl"]


def cstr(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Out:
    def __init__(self):
        self.arrays = []
        self.n = 0

    def blob(self, hexstr):
        """Emit a byte array; return the B(...) initialiser for it."""
        if hexstr is None:
            return "{ NULL, 0 }"
        data = bytes.fromhex(hexstr)
        name = "kat_b%d" % self.n
        self.n += 1
        if not data:
            return "{ NULL, 0 }"
        body = ", ".join("0x%02x" % b for b in data)
        lines = []
        line = ""
        for item in body.split(", "):
            if len(line) + len(item) + 2 > 72:
                lines.append(line)
                line = ""
            line += item + ", "
        lines.append(line)
        self.arrays.append("static const uint8_t %s[%d] = {\n\t%s\n};" % (
            name, len(data), "\n\t".join(l.rstrip() for l in lines)))
        return "{ %s, sizeof(%s) }" % (name, name)


def rows(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def main():
    vdir, out_path = sys.argv[1], sys.argv[2]
    kdir = sys.argv[3] if len(sys.argv) > 3 else None
    o = Out()
    esp, aead, hmac, cipher = [], [], [], []

    for fn in ESP_FILES:
        for d in rows(os.path.join(vdir, fn)):
            alg = d["algorithm"]
            if "CHACHA20" in alg:
                kind = "KAT_CHACHA"
            elif "GMAC" in alg:
                kind = "KAT_GMAC"
            else:
                kind = "KAT_GCM"
            if "esp_packet" not in d:
                # An AEAD-level case (RFC 7634 Appendix B).
                aead.append((fn, d))
                continue
            key_bits = d.get("key_bits", len(d["key"]) * 4)
            seq_lo = d.get("seq_lo")
            if seq_lo is None:
                seq_lo = "%08x" % d["seq"]
            seq_hi = d.get("seq_hi") or "00000000"
            esp.append("\t{ %s, %s, %s, %d, %s, %s,\n"
                       "\t    %s, %s, %s,\n\t    0x%s, 0x%s, 0x%s, %d, %d,\n"
                       "\t    %s,\n\t    %s,\n\t    %s,\n\t    %s,\n"
                       "\t    %s,\n\t    %s },"
                       % (cstr(fn), cstr(d["case"]), kind, key_bits,
                          "true" if d["esn"] else "false",
                          "true" if d.get("mode") == "tunnel" else "false",
                          o.blob(d["key"]), o.blob(d["salt"]),
                          o.blob(d["iv"]), d["spi"], seq_hi, seq_lo,
                          d["trailer_pad_length"],
                          d["trailer_next_header"], o.blob(d["aad"]),
                          o.blob(d["plaintext"]), o.blob(d["ciphertext"]),
                          o.blob(d["icv"]), o.blob(d["esp_packet"]),
                          o.blob(d.get("inner_packet"))))
    for fn in AEAD_FILES:
        for d in rows(os.path.join(vdir, fn)):
            aead.append((fn, d))
    aead_rows = []
    for fn, d in aead:
        nonce = d.get("nonce")
        tag = d.get("tag", d.get("icv"))
        aead_rows.append("\t{ %s, %s, %s,\n\t    %s,\n\t    %s,\n"
                         "\t    %s,\n\t    %s,\n\t    %s },"
                         % (cstr(fn), cstr(d["case"]), o.blob(d["key"]),
                            o.blob(nonce), o.blob(d["aad"]),
                            o.blob(d["plaintext"]), o.blob(d["ciphertext"]),
                            o.blob(tag)))
    hmac_paths = [(fn, os.path.join(vdir, fn)) for fn in HMAC_FILES]
    if kdir is not None:
        hmac_paths += [(fn, os.path.join(kdir, fn)) for fn in KAT_MAC_FILES]
        for fn in KAT_CIPHER_FILES:
            for d in rows(os.path.join(kdir, fn)):
                cipher.append("\t{ %s, %s, %s, %d,\n\t    %s,\n\t    %s,"
                              "\n\t    %s,\n\t    %s,\n\t    %s },"
                              % (cstr(fn), cstr(d["case"]),
                                 "true" if "CTR" in d["algorithm"]
                                 else "false", d["key_bits"],
                                 o.blob(d["key"]), o.blob(d.get("nonce")),
                                 o.blob(d["iv"]), o.blob(d["plaintext"]),
                                 o.blob(d["ciphertext"])))
    for fn, path in hmac_paths:
        for d in rows(path):
            hmac.append("\t{ %s, %s, %s, %d,\n\t    %s,\n\t    %s,\n"
                        "\t    %s },"
                        % (cstr(fn), cstr(d["case"]), cstr(d["algorithm"]),
                           d["truncated_bits"] or 0, o.blob(d["key"]),
                           o.blob(d["data"]), o.blob(d["mac"])))

    with open(out_path, "w") as f:
        f.write("/* Generated by tests/kat/gen_kat.py from tests/vectors; "
                "do not edit. */\n")
        f.write("#include <stdbool.h>\n#include <stddef.h>\n"
                "#include <stdint.h>\n\n")
        f.write("struct kat_blob {\n\tconst uint8_t\t*p;\n\tsize_t\t\t n;\n"
                "};\n\n")
        f.write("enum kat_kind { KAT_GCM, KAT_GMAC, KAT_CHACHA };\n\n")
        f.write("struct kat_esp {\n\tconst char *file, *name;\n"
                "\tenum kat_kind kind;\n\tint key_bits;\n\tbool esn, tunnel;\n"
                "\tstruct kat_blob key, salt, iv;\n"
                "\tuint32_t spi, seq_hi, seq_lo;\n\tint pad_len, nh;\n"
                "\tstruct kat_blob aad, plaintext, ciphertext, icv, "
                "esp_packet, inner;\n};\n\n")
        f.write("struct kat_aead {\n\tconst char *file, *name;\n"
                "\tstruct kat_blob key, nonce, aad, plaintext, ciphertext, "
                "tag;\n};\n\n")
        f.write("struct kat_hmac {\n\tconst char *file, *name, *alg;\n"
                "\tint truncated_bits;\n\tstruct kat_blob key, data, mac;\n"
                "};\n\n")
        f.write("struct kat_cipher {\n\tconst char *file, *name;\n"
                "\tbool ctr;\n\tint key_bits;\n"
                "\tstruct kat_blob key, nonce, iv, plaintext, ciphertext;\n"
                "};\n\n")
        f.write("\n".join(o.arrays))
        f.write("\n\nstatic const struct kat_esp kat_esp[] = {\n")
        f.write("\n".join(esp))
        f.write("\n};\n\nstatic const struct kat_aead kat_aead[] = {\n")
        f.write("\n".join(aead_rows))
        f.write("\n};\n\nstatic const struct kat_hmac kat_hmac[] = {\n")
        f.write("\n".join(hmac))
        f.write("\n};\n\nstatic const struct kat_cipher kat_cipher[] = {\n")
        f.write("\n".join(cipher) if cipher else
                "\t{ NULL, NULL, false, 0, { NULL, 0 }, { NULL, 0 }, "
                "{ NULL, 0 }, { NULL, 0 }, { NULL, 0 } },")
        f.write("\n};\n")


if __name__ == "__main__":
    main()
