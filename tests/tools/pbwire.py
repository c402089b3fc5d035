"""pbwire.py - the protobuf wire format by hand (proto3: varints, zigzag
sint, length-delimited bytes and messages), enough for test tools to
speak parapet's bus (proto/*.proto) without a protobuf module:
encoders for fields, and a decoder of one message level into
{field number: [raw values]} (varints as ints, length-delimited as bytes).
"""

WT_VARINT, WT_I64, WT_LEN, WT_I32 = 0, 1, 2, 5


def varint(v):
    out = bytearray()
    v &= (1 << 64) - 1
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_int(num, v):
    """uint32/uint64/enum/bool field; proto3 omits zeros."""
    return varint(num << 3) + varint(v) if v else b""


def f_sint(num, v):
    """sint32/sint64 field (zigzag)."""
    return varint(num << 3) + varint((v << 1) ^ (v >> 63)) if v else b""


def f_bytes(num, b):
    """bytes, string (encode first) or an embedded message."""
    return varint((num << 3) | WT_LEN) + varint(len(b)) + b


def f_str(num, s):
    return f_bytes(num, s.encode()) if s else b""


def read_varint(buf, off):
    v = shift = 0
    while True:
        if off >= len(buf) or shift > 63:
            raise ValueError("bad varint")
        b = buf[off]
        off += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, off


def decode(buf):
    """One message level: {number: [values]}."""
    out = {}
    off = 0
    while off < len(buf):
        key, off = read_varint(buf, off)
        num, wt = key >> 3, key & 7
        if wt == WT_VARINT:
            v, off = read_varint(buf, off)
        elif wt == WT_LEN:
            n, off = read_varint(buf, off)
            if off + n > len(buf):
                raise ValueError("truncated field")
            v, off = bytes(buf[off:off + n]), off + n
        elif wt == WT_I64:
            v, off = bytes(buf[off:off + 8]), off + 8
        elif wt == WT_I32:
            v, off = bytes(buf[off:off + 4]), off + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def first(fields, num, default=0):
    v = fields.get(num)
    return v[0] if v else default


def unzigzag(v):
    v &= (1 << 64) - 1
    return (v >> 1) ^ -(v & 1)
