#!/usr/bin/env python3
"""Independent reader of TensorBoard event files, for the tests.

Reads the TFRecord framing with `struct` (uint64 length, masked CRC32C of the length, data, masked
CRC32C of the data), checks both CRCs with the CRC32C below, and decodes the Event / Summary protobuf
wire format by hand (field numbers of TensorBoard's event.proto, summary.proto, tensor.proto).
Prints one JSON object: {"events": [...]}. Exits 1 with a message on any framing or CRC error.
Float values are printed as numbers, or as "NaN" / "Infinity" / "-Infinity".
"""
import json
import math
import struct
import sys


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf):
    """Yields (field number, wire type, value) of one message; value is int, bytes, or raw 4/8 bytes."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            n, i = varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield num, wire, value


def num(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def tensor(buf):
    out = {"dtype": 0, "dims": [], "float_val": [], "content": ""}
    for n, wire, v in fields(buf):
        if n == 1:
            out["dtype"] = v
        elif n == 2:  # TensorShapeProto: repeated Dim dim = 2 {int64 size = 1}
            for dn, _, dv in fields(v):
                if dn == 2:
                    out["dims"].append(dict((a, b) for a, _, b in fields(dv)).get(1, 0))
        elif n == 4:
            out["content"] = v.hex()
        elif n == 5:
            if wire == 2:  # packed
                out["float_val"] += [num(f) for f in struct.unpack("<%df" % (len(v) // 4), v)]
            else:
                out["float_val"].append(num(struct.unpack("<f", v)[0]))
    return out


def metadata(buf):
    out = {"plugin_name": "", "plugin_content": "", "data_class": 0}
    for n, _, v in fields(buf):
        if n == 1:
            for pn, _, pv in fields(v):
                if pn == 1:
                    out["plugin_name"] = pv.decode("utf-8")
                elif pn == 2:
                    out["plugin_content"] = pv.hex()
        elif n == 4:
            out["data_class"] = v
    return out


def value(buf):
    out = {}
    for n, _, v in fields(buf):
        if n == 1:
            out["tag"] = v.decode("utf-8")
        elif n == 2:
            f = struct.unpack("<f", v)[0]
            out["simple_value"] = num(f)
            out["bits"] = struct.unpack("<I", v)[0]
        elif n == 8:
            out["tensor"] = tensor(v)
        elif n == 9:
            out["metadata"] = metadata(v)
    return out


def event(buf):
    out = {"wall_time": 0.0, "step": 0}
    for n, _, v in fields(buf):
        if n == 1:
            out["wall_time"] = struct.unpack("<d", v)[0]
        elif n == 2:
            out["step"] = v - (1 << 64) if v >= 1 << 63 else v
        elif n == 3:
            out["file_version"] = v.decode("utf-8")
        elif n == 5:
            out["values"] = [value(sv) for sn, _, sv in fields(v) if sn == 1]
    return out


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    events, i = [], 0
    while i < len(data):
        if len(data) - i < 12:
            raise ValueError("truncated record header at byte %d" % i)
        header = data[i:i + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[i + 8:i + 12])
        if masked(header) != length_crc:
            raise ValueError("length crc mismatch at byte %d" % i)
        body = data[i + 12:i + 12 + length]
        if len(body) != length or len(data) < i + 16 + length:
            raise ValueError("truncated record at byte %d" % i)
        (body_crc,) = struct.unpack("<I", data[i + 12 + length:i + 16 + length])
        if masked(body) != body_crc:
            raise ValueError("data crc mismatch at byte %d" % i)
        events.append(event(body))
        i += 16 + length
    return events


if __name__ == "__main__":
    try:
        print(json.dumps({"events": read(sys.argv[1])}))
    except (ValueError, IndexError, struct.error) as error:
        print("read_events: %s: %s" % (sys.argv[1], error), file=sys.stderr)
        sys.exit(1)
