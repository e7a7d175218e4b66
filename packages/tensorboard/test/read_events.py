#!/usr/bin/env python3
"""Independent reader of TensorBoard event files, for the tests.

Reads the TFRecord framing with `struct` (uint64 length, masked CRC32C of the length, data, masked
CRC32C of the data), checks both CRCs with the CRC32C below, and decodes the Event / Summary protobuf
wire format by hand (field numbers of TensorBoard's event.proto, summary.proto, tensor.proto).
When Google's protobuf runtime is installed (Debian's python3-protobuf, a dependency of python3-onnx),
every record is also parsed by it, with message descriptors declared below from the same protos, and
the two decodings must agree ("protobuf": true in the output).
Prints one JSON object: {"events": [...], "protobuf": bool}. Exits 1 with a message on any framing,
CRC or decoding disagreement. Floats are printed as numbers, or as "NaN" / "Infinity" / "-Infinity".
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


def google_event_class():
    """The `tensorboard.Event` message class, built at run time from a FileDescriptorProto."""
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError:
        return None
    F = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="tb_event_subset.proto", package="tensorboard", syntax="proto3")

    def message(container, name, fields, oneofs=()):
        m = container.add(name=name)
        for oneof in oneofs:
            m.oneof_decl.add(name=oneof)
        for spec in fields:
            fname, number, ftype = spec[:3]
            options = spec[3] if len(spec) > 3 else {}
            f = m.field.add(name=fname, number=number, type=ftype, label=F.LABEL_REPEATED if options.get("repeated") else F.LABEL_OPTIONAL)
            if "message" in options:
                f.type_name = ".tensorboard." + options["message"]
            if "oneof" in options:
                f.oneof_index = options["oneof"]
        return m

    message(file.message_type, "Event", [
        ("wall_time", 1, F.TYPE_DOUBLE), ("step", 2, F.TYPE_INT64),
        ("file_version", 3, F.TYPE_STRING, {"oneof": 0}), ("graph_def", 4, F.TYPE_BYTES, {"oneof": 0}),
        ("summary", 5, F.TYPE_MESSAGE, {"oneof": 0, "message": "Summary"}),
    ], ["what"])
    summary = message(file.message_type, "Summary", [("value", 1, F.TYPE_MESSAGE, {"repeated": True, "message": "Summary.Value"})])
    message(summary.nested_type, "Value", [
        ("node_name", 7, F.TYPE_STRING), ("tag", 1, F.TYPE_STRING),
        ("metadata", 9, F.TYPE_MESSAGE, {"message": "SummaryMetadata"}),
        ("simple_value", 2, F.TYPE_FLOAT, {"oneof": 0}), ("obsolete_old_style_histogram", 3, F.TYPE_BYTES, {"oneof": 0}),
        ("tensor", 8, F.TYPE_MESSAGE, {"oneof": 0, "message": "TensorProto"}),
    ], ["value"])
    metadata_type = message(file.message_type, "SummaryMetadata", [
        ("plugin_data", 1, F.TYPE_MESSAGE, {"message": "SummaryMetadata.PluginData"}),
        ("display_name", 2, F.TYPE_STRING), ("summary_description", 3, F.TYPE_STRING), ("data_class", 4, F.TYPE_INT32),
    ])
    message(metadata_type.nested_type, "PluginData", [("plugin_name", 1, F.TYPE_STRING), ("content", 2, F.TYPE_BYTES)])
    message(file.message_type, "TensorProto", [
        ("dtype", 1, F.TYPE_INT32), ("tensor_shape", 2, F.TYPE_MESSAGE, {"message": "TensorShapeProto"}),
        ("version_number", 3, F.TYPE_INT32), ("tensor_content", 4, F.TYPE_BYTES),
        ("float_val", 5, F.TYPE_FLOAT, {"repeated": True}), ("double_val", 6, F.TYPE_DOUBLE, {"repeated": True}),
    ])
    shape = message(file.message_type, "TensorShapeProto", [
        ("dim", 2, F.TYPE_MESSAGE, {"repeated": True, "message": "TensorShapeProto.Dim"}), ("unknown_rank", 3, F.TYPE_BOOL),
    ])
    message(shape.nested_type, "Dim", [("size", 1, F.TYPE_INT64), ("name", 2, F.TYPE_STRING)])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    descriptor = pool.FindMessageTypeByName("tensorboard.Event")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def google_event(cls, body):
    """The same dictionary as `event`, from Google's parser."""
    e = cls.FromString(body)
    out = {"wall_time": e.wall_time, "step": e.step}
    what = e.WhichOneof("what")
    if what == "file_version":
        out["file_version"] = e.file_version
    elif what == "summary":
        out["values"] = []
        for v in e.summary.value:
            d = {"tag": v.tag}
            kind = v.WhichOneof("value")
            if kind == "simple_value":
                d["simple_value"] = num(v.simple_value)
                d["bits"] = struct.unpack("<I", struct.pack("<f", v.simple_value))[0]
            elif kind == "tensor":
                t = v.tensor
                d["tensor"] = {"dtype": t.dtype, "dims": [dim.size for dim in t.tensor_shape.dim], "float_val": [num(f) for f in t.float_val], "content": t.tensor_content.hex()}
            if v.HasField("metadata"):
                m = v.metadata
                d["metadata"] = {"plugin_name": m.plugin_data.plugin_name, "plugin_content": m.plugin_data.content.hex(), "data_class": m.data_class}
            out["values"].append(d)
    return out


def same(a, b):
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def read(path, google=None):
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
        decoded = event(body)
        if google is not None and not same(decoded, google_event(google, body)):
            raise ValueError("google.protobuf decodes the record at byte %d differently: %s" % (i, google_event(google, body)))
        events.append(decoded)
        i += 16 + length
    return events


if __name__ == "__main__":
    try:
        google = google_event_class()
        print(json.dumps({"events": read(sys.argv[1], google), "protobuf": google is not None}))
    except (ValueError, IndexError, struct.error) as error:
        print("read_events: %s: %s" % (sys.argv[1], error), file=sys.stderr)
        sys.exit(1)
