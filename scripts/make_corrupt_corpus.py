#!/usr/bin/env python3
"""Generates the corrupt and malicious input corpus run by Tests/CLITests/CorruptCorpusTests.swift.

    python3 scripts/make_corrupt_corpus.py OUTDIR [--cairn PATH]

Writes OUTDIR/base/ (good files every case is derived from), OUTDIR/cases/<name>/ (one folder per
case) and OUTDIR/cases.json, a list of objects:

    {"name": ..., "args": [cairn arguments, paths relative to OUTDIR],
     "expect_status": 1, "expect": [substrings stderr must contain], "what": one line}

Each command is meant to be run with OUTDIR as the working directory. `expect` always holds the
file the error is about and, where the reader can know it, the offset, key or pickle global.
A few control cases (status 0) check that the untouched base files are accepted, so every
corruption is measured against a file the reader otherwise takes; `st_data_flip_undetectable`
documents that a flipped data bit in a bare safetensors file has no checksum to catch it.

The base checkpoint directory (and the model the image cases evaluate with) is made by running
`cairn train` on a tiny image folder, so the `cairn` binary is needed: --cairn PATH, or `cairn`
on PATH. Every file stays at most a few MB; big cases (zip bomb, millions of pickle objects) are
written compactly.
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

import torch
from safetensors.torch import save_file

CASES = []


def case(name, args, expect, what, status=1):
    CASES.append({"name": name, "args": args, "expect_status": status, "expect": expect, "what": what})


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def flip(data, offset, bit=0):
    b = bytearray(data)
    b[offset] ^= 1 << bit
    return bytes(b)


# ---------------------------------------------------------------------------------------------
# safetensors


def safetensors_bytes(header, data):
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + data


def gen_safetensors(out):
    base = os.path.join(out, "base", "good.safetensors")
    os.makedirs(os.path.dirname(base), exist_ok=True)
    save_file({"a": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.arange(4, dtype=torch.int64)},
              base)
    good = read(base)
    n = struct.unpack("<Q", good[:8])[0]
    case("control_good_safetensors", ["verify", "base/good.safetensors"], [], "the untouched base file", 0)

    def st(name, data, expect, what, cmd="verify"):
        rel = f"cases/{name}/model.safetensors"
        write(os.path.join(out, rel), data)
        case(name, [cmd, rel], ["model.safetensors"] + expect, what)

    st("st_empty", b"", [], "zero-byte file")
    st("st_trunc_len_4", good[:4], [], "truncated inside the 8-byte header length")
    st("st_trunc_len_7", good[:7], [], "truncated one byte short of the header length")
    st("st_trunc_header_start", good[:9], [], "truncated after the first header byte")
    st("st_trunc_header_mid", good[: 8 + n // 2], [], "truncated in the middle of the JSON header")
    st("st_trunc_header_end", good[: 8 + n - 1], [], "truncated one byte before the data")
    st("st_trunc_data_start", good[: 8 + n + 1], [], "truncated one byte into the data")
    st("st_trunc_data_end", good[:-1], [], "last data byte missing")
    st("st_header_len_2_63", struct.pack("<Q", 1 << 63) + good[8:], [], "header length 2^63")
    st("st_header_len_max", struct.pack("<Q", (1 << 64) - 1) + good[8:], [], "header length 2^64-1")
    st("st_header_len_bitflip", flip(good, 5), [], "bit flip in the header length (2^40 + n)")
    st("st_header_len_zero", struct.pack("<Q", 0) + good[8:], [], "header length 0")
    quote = good.index(b'"', 8)
    st("st_header_bitflip_quote", flip(good, quote, 0), [], "bit flip turning a header quote into '#'")
    brace = 8
    st("st_header_bitflip_brace", flip(good, brace, 1), [], "bit flip in the header's opening brace")
    dt = good.index(b"F32")
    st("st_header_bitflip_dtype", flip(good, dt, 1), [], "bit flip in a dtype name (F32 -> D32)")
    st("st_header_nul", good[:quote] + b"\x00" + good[quote + 1:], [], "NUL byte inside the header")
    st("st_shape_overflow",
       safetensors_bytes({"a": {"dtype": "F32", "shape": [1 << 62, 1 << 62, 4], "data_offsets": [0, 16]}}, bytes(16)),
       ["a"], "shape product overflows Int64")
    st("st_shape_overflow_bytes",
       safetensors_bytes({"a": {"dtype": "F64", "shape": [1 << 61, 8], "data_offsets": [0, 16]}}, bytes(16)),
       ["a"], "element count fits but byte count overflows Int64")
    st("st_shape_huge_dim",
       safetensors_bytes({"a": {"dtype": "F32", "shape": [1 << 70], "data_offsets": [0, 16]}}, bytes(16)),
       ["a"], "a dimension beyond UInt64")
    st("st_offsets_out_of_range",
       safetensors_bytes({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 1 << 40]}}, bytes(16)),
       ["a"], "data_offsets end far beyond the file")
    st("st_offsets_2_64",
       safetensors_bytes({"a": {"dtype": "F32", "shape": [4], "data_offsets": [(1 << 64) - 16, (1 << 64)]}},
                         bytes(16)),
       ["a"], "data_offsets beyond UInt64")
    st("st_offsets_reversed",
       safetensors_bytes({"a": {"dtype": "F32", "shape": [0], "data_offsets": [16, 0]}}, bytes(16)),
       ["a"], "data_offsets begin after they end")
    st("st_offsets_overlap",
       safetensors_bytes({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                          "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}, bytes(24)),
       [], "two tensors share bytes")
    st("st_offsets_gap",
       safetensors_bytes({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                          "b": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]}}, bytes(24)),
       [], "bytes 8..<16 belong to no tensor")
    st("st_offsets_short_cover",
       safetensors_bytes({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(24)),
       [], "the tensors do not cover the data buffer")
    st("st_size_mismatch",
       safetensors_bytes({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}}, bytes(16)),
       ["a"], "shape says 12 bytes, offsets say 16")
    st("st_header_not_object", safetensors_bytes([1, 2, 3], b""), [], "header is a JSON array")
    st("st_header_deep_nesting",
       struct.pack("<Q", 200_002) + b"[" * 100_001 + b"]" * 100_001, [], "100,001 nested JSON arrays")
    meta_deep = b'{"__metadata__":' + b"{\"k\":" * 50_000 + b'""' + b"}" * 50_000 + b"}"
    st("st_metadata_deep_nesting", struct.pack("<Q", len(meta_deep)) + meta_deep, [],
       "__metadata__ nested 50,000 objects deep")
    # Every bit of a bare safetensors file's data is meaningful and unchecked: a flip reads back as
    # a different value. Only the checkpoint directory's SHA-256 manifest can catch it.
    rel = "cases/st_data_flip_undetectable/model.safetensors"
    write(os.path.join(out, rel), flip(good, len(good) - 3, 4))
    case("st_data_flip_undetectable", ["verify", rel], [],
         "bit flip in tensor data: a bare safetensors file has no checksum, so this is read as valid", 0)
    rel = "cases/st_inspect_trunc_header/model.safetensors"
    write(os.path.join(out, rel), good[: 8 + n // 3])
    case("st_inspect_trunc_header", ["inspect", rel, "--json"], ["model.safetensors"], "inspect on a truncated header")
    rel = "cases/st_convert_overlap/model.safetensors"
    write(os.path.join(out, rel), safetensors_bytes({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                                                     "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}},
                                                    bytes(24)))
    case("st_convert_overlap", ["convert", rel, "cases/st_convert_overlap/out.pth"], ["model.safetensors"],
         "convert must fail before creating its output")


# ---------------------------------------------------------------------------------------------
# zip writer with full control over names, sizes and CRCs (zipfile normalizes too much)


def zip_bytes(entries, eocd_count=None):
    """entries: dicts with name (bytes or str), data (stored bytes), method (0 stored / 8 deflate),
    crc, usize (declared uncompressed size), csize (declared compressed size)."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        name = e["name"].encode() if isinstance(e["name"], str) else e["name"]
        data = e["data"]
        method = e.get("method", 0)
        crc = e.get("crc", zlib.crc32(data) if method == 0 else 0)
        usize = e.get("usize", len(data))
        csize = e.get("csize", len(data))
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, csize, usize, len(name), 0)
        out += name + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, csize, usize,
                               len(name), 0, 0, 0, 0, 0, offset)
        central += name
    cd_offset = len(out)
    count = len(entries) if eocd_count is None else eocd_count
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), cd_offset, 0)
    return bytes(out)


def pickle_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def gen_pth(out):
    base = os.path.join(out, "base", "good.pth")
    os.makedirs(os.path.dirname(base), exist_ok=True)
    torch.save({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.ones(2)}, base)
    good = read(base)
    case("control_good_pth", ["verify", "base/good.pth"], [], "the untouched torch.save file", 0)

    import zipfile
    with zipfile.ZipFile(base) as z:
        infos = z.infolist()
        entries = [{"name": i.filename, "data": z.read(i.filename)} for i in infos]
    prefix = entries[0]["name"].split("/")[0]
    pkl_name = f"{prefix}/data.pkl"
    pkl = next(e["data"] for e in entries if e["name"] == pkl_name)
    data0 = next(i for i in infos if i.filename == f"{prefix}/data/0")
    cd_offset = struct.unpack("<I", good[-6:-2])[0]
    eocd = len(good) - 22
    rewritten = zip_bytes(entries)
    write(os.path.join(out, "base", "rewritten.pth"), rewritten)
    case("control_rewritten_pth", ["verify", "base/rewritten.pth"], [],
         "the base file re-zipped by this generator's writer (no alignment padding)", 0)

    def pth(name, data, expect, what, cmd="verify"):
        rel = f"cases/{name}/model.pth"
        write(os.path.join(out, rel), data)
        case(name, [cmd, rel], ["model.pth"] + expect, what)

    # Offset of the data of archive/data/0 inside the file (after its local header and name).
    lh = data0.header_offset
    name_len, extra_len = struct.unpack("<HH", good[lh + 26:lh + 30])
    data0_start = lh + 30 + name_len + extra_len
    pth("pth_empty", b"", [], "zero-byte file")
    pth("pth_trunc_local_header", good[:10], [], "truncated inside the first local file header")
    pth("pth_trunc_data", good[: data0_start + 8], [], "truncated inside a storage record's data")
    pth("pth_trunc_central_dir", good[: cd_offset + 20], [], "truncated inside the central directory")
    pth("pth_trunc_end_record", good[: eocd + 10], [], "truncated inside the end-of-central-directory record")
    pth("pth_trunc_no_end_record", good[:eocd], [], "end-of-central-directory record missing")
    pth("pth_flip_storage_data", flip(good, data0_start + 5, 3), [f"{prefix}/data/0"],
        "bit flip in tensor data: the zip CRC-32 must catch it")
    pkl_info = next(i for i in infos if i.filename == pkl_name)
    plh = pkl_info.header_offset
    pn, pe = struct.unpack("<HH", good[plh + 26:plh + 30])
    pth("pth_flip_pickle", flip(good, plh + 30 + pn + pe + 3, 2), [pkl_name], "bit flip inside data.pkl")
    pth("pth_flip_local_signature", flip(good, 0, 0), [], "bit flip in the first local header signature")
    pth("pth_flip_central_offset", flip(good, eocd + 19, 6), [], "bit flip in the central directory offset")
    pth("pth_flip_central_size", flip(good, cd_offset + 22, 7), [],
        "bit flip in a central directory compressed size")

    def with_entries(mod):
        es = [dict(e) for e in entries]
        mod(es)
        return zip_bytes(es)

    pth("zip_dotdot_name", with_entries(lambda es: es.append({"name": "../evil.txt", "data": b"x"})),
        ["../evil.txt"], "an entry named ../evil.txt")
    pth("zip_dotdot_inner", with_entries(lambda es: es.append({"name": f"{prefix}/../../evil", "data": b"x"})),
        ["../"], "an entry whose name climbs out with ../ in the middle")
    pth("zip_leading_slash", with_entries(lambda es: es.append({"name": "/etc/evil", "data": b"x"})),
        ["/etc/evil"], "an entry with an absolute name")
    pth("zip_duplicate_name",
        with_entries(lambda es: es.append({"name": pkl_name, "data": pickle_global("os", "system") + b"."})),
        [pkl_name], "data.pkl twice, the second one hostile")

    def huge(es):
        for e in es:
            if e["name"] == f"{prefix}/data/0":
                e["usize"] = 0xFFFFFFF0
                e["csize"] = 0xFFFFFFF0
    pth("zip_huge_declared_size", with_entries(huge), [f"{prefix}/data/0"],
        "a storage record declaring 4 GB in a tiny file")

    def huge_pkl(es):
        for e in es:
            if e["name"] == pkl_name:
                e["usize"] = 0xFFFFFFF0
    pth("zip_huge_declared_usize", with_entries(huge_pkl), [pkl_name],
        "stored data.pkl whose uncompressed size disagrees with its compressed size")
    pth("zip_eocd_count_lies", zip_bytes(entries, eocd_count=0xFFFF), [], "end record claims 65535 entries")

    # Deflate bomb: 2 GiB of zeros in ~2 MB. After Z_FULL_FLUSH the compressor starts afresh, so one
    # flushed 1 MiB segment can be repeated; a final empty block ends the stream.
    zeros = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    seg = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.flush()
    segments = 2048
    bomb = seg * segments + tail
    crc = 0
    for _ in range(segments):
        crc = zlib.crc32(zeros, crc)

    def bomb_pkl(usize):
        def mod(es):
            for e in es:
                if e["name"] == pkl_name:
                    e.update({"data": bomb, "method": 8, "crc": crc, "usize": usize, "csize": len(bomb)})
        return mod
    pth("zip_bomb_honest", with_entries(bomb_pkl(segments << 20)), [pkl_name],
        "data.pkl deflated: 2 MB expanding to 2 GiB (declared)")
    pth("zip_bomb_lying", with_entries(bomb_pkl(len(pkl))), [pkl_name],
        "data.pkl deflated: declares the real pickle's size but expands to 2 GiB")

    def storage_bomb(es):
        for e in es:
            if e["name"] == f"{prefix}/data/0":
                e.update({"data": bomb, "method": 8, "crc": crc, "usize": segments << 20, "csize": len(bomb)})
    pth("zip_bomb_storage", with_entries(storage_bomb), [f"{prefix}/data/0"],
        "a storage record deflated from 2 MB to 2 GiB")

    # Hostile pickles, each replacing data.pkl in an otherwise valid archive.
    def pickle_case(name, body, expect, what, cmd="verify"):
        pth(name, with_entries(lambda es: [e.update({"data": body}) for e in es if e["name"] == pkl_name]),
            expect, what, cmd)

    call = b"X\x04\x00\x00\x00echo\x85R."  # BINUNICODE 'echo', TUPLE1, REDUCE, STOP
    for mod, fn in [("os", "system"), ("builtins", "exec"), ("builtins", "eval"), ("subprocess", "Popen"),
                    ("posix", "system"), ("nt", "system"), ("builtins", "getattr")]:
        pickle_case(f"pickle_{mod}_{fn}", b"\x80\x02" + pickle_global(mod, fn) + call, [f"{mod}.{fn}"],
                    f"GLOBAL {mod}.{fn} called on 'echo'")
    # Python 2 names are mapped to Python 3 ones (as pickle's fix_imports does) before the allow-list check.
    pickle_case("pickle_builtin_py2_eval", b"\x80\x02" + pickle_global("__builtin__", "eval") + call,
                ["builtins.eval"], "GLOBAL __builtin__.eval (the Python 2 name)")
    stack_global = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x94" + call
    pickle_case("pickle_protocol4_stack_global", stack_global, ["protocol 4"],
                "protocol-4 pickle reaching os.system through STACK_GLOBAL")
    pickle_case("pickle_stack_global_os_system",
                b"\x80\x02X\x02\x00\x00\x00osX\x06\x00\x00\x00system\x93" + call, ["0x93"],
                "STACK_GLOBAL os.system inside a protocol-2 pickle")
    pickle_case("pickle_custom_reduce", b"\x80\x02" + pickle_global("__main__", "Evil") + b")R.",
                ["__main__.Evil"], "a custom class whose __reduce__ runs on load")
    pickle_case("pickle_custom_newobj", b"\x80\x02" + pickle_global("__main__", "Evil") + b")\x81.",
                ["__main__.Evil"], "a custom class built through NEWOBJ")
    pth("pickle_build_setstate", with_entries(lambda es: [e.update(
        {"data": b"\x80\x02" + pickle_global("collections", "OrderedDict") + b")R}b."}) for e in es
        if e["name"] == pkl_name]), [], "")
    CASES[-1].update({"expect_status": 0, "expect": [],
                      "what": "BUILD with an empty state on an allow-listed OrderedDict: harmless, read as an "
                              "empty state dict (torch's weights-only unpickler allows it too)"})
    pickle_case("pickle_inspect_os_system", b"\x80\x02" + pickle_global("os", "system") + call, ["os.system"],
                "inspect must refuse a hostile pickle too", cmd="inspect")
    pickle_case("pickle_nested_lists", b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b".", [],
                "100,000 nested lists (EMPTY_LIST + APPEND)")
    pickle_case("pickle_nested_marks", b"\x80\x02" + b"(" * 100_000 + b"l" * 100_000 + b".", [],
                "100,000 nested MARK/LIST")
    pickle_case("pickle_nested_tuples", b"\x80\x02" + b")" + b"\x85" * 100_000 + b".", [],
                "100,000 nested one-tuples")
    pickle_case("pickle_nested_dicts", b"\x80\x02" + b"}X\x01\x00\x00\x00k" * 100_000 + b"}" + b"s" * 100_000 + b".",
                [], "100,000 nested dicts")
    # 2,000,000 tiny objects: MARK, BININT1 x N, APPENDS, then the stream ends without STOP.
    n = 2_000_000
    pickle_case("pickle_many_objects", b"\x80\x02](" + b"K\x01" * n + b"e", [],
                "2,000,000 ints then no STOP (memory and time must stay bounded)")
    pickle_case("pickle_many_memo_refs", b"\x80\x02]q\x00(" + b"h\x00" * n + b"e.", [],
                "a list holding itself 2,000,000 times via the memo")
    pickle_case("pickle_memo_get_out_of_range", b"\x80\x02]q\x00h\xc8.", ["200"], "BINGET 200 with one memo entry")
    pickle_case("pickle_memo_long_get_huge", b"\x80\x02]j\xff\xff\xff\xff.", ["4294967295"],
                "LONG_BINGET 2^32-1 on an empty memo")
    pickle_case("pickle_memo_put_huge", b"\x80\x02]r\xff\xff\xff\xffh\x00.", [],
                "LONG_BINPUT 2^32-1 then BINGET 0")
    pickle_case("pickle_truncated", pkl[: len(pkl) // 2], [], "data.pkl cut in half")
    pickle_case("pickle_unknown_opcode", b"\x80\x02\xff.", [], "opcode 0xff")
    pickle_case("pickle_binunicode_huge", b"\x80\x02X\xff\xff\xff\x7f" + b"a" * 16 + b".", [],
                "BINUNICODE declaring 2 GB with 16 bytes left")
    pickle_case("pickle_binbytes8_huge", b"\x80\x04\x8e" + struct.pack("<Q", 1 << 62) + b"ab.", [],
                "BINBYTES8 declaring 2^62 bytes")
    pickle_case("pickle_frame_huge", b"\x80\x04\x95" + struct.pack("<Q", 1 << 62) + b"N.", [],
                "FRAME declaring 2^62 bytes")
    pickle_case("pickle_long4_huge", b"\x80\x02\x8b\xff\xff\xff\x7f" + b"\x01" * 16 + b".", [],
                "LONG4 declaring 2 GB")
    pickle_case("pickle_pop_empty", b"\x80\x020.", [], "POP on an empty stack")
    pickle_case("pickle_setitems_odd", b"\x80\x02}(K\x01u.", [], "SETITEMS with a key and no value")
    # A tensor whose size reaches far beyond its storage: _rebuild_tensor_v2(storage, 0, (2^40,), (1,)).
    def tensor_pickle(key=b"0", size=b"K\x06"):
        """{'w': _rebuild_tensor_v2(storage key, 0, (size,), (1,), False, OrderedDict())}."""
        return (b"\x80\x02}X\x01\x00\x00\x00w" + pickle_global("torch._utils", "_rebuild_tensor_v2")
                + b"((X\x07\x00\x00\x00storage" + pickle_global("torch", "FloatStorage")
                + b"X" + struct.pack("<I", len(key)) + key + b"X\x03\x00\x00\x00cpuK\x06tQK\x00" + size + b"\x85"
                + b"K\x01\x85\x89" + pickle_global("collections", "OrderedDict") + b")RtRs.")
    pickle_case("pickle_tensor_beyond_storage", tensor_pickle(size=b"\x8a\x06\x00\x00\x00\x00\x00\x01"), [],
                "a tensor of 2^40 elements on a 6-element storage")
    pickle_case("pickle_storage_missing", tensor_pickle(key=b"9"), [f"{prefix}/data/9"],
                "a storage key with no zip record")
    pickle_case("pickle_storage_key_traversal", tensor_pickle(key=b"../../etc/passwd"), [],
                "a storage key that climbs out of the archive")


# ---------------------------------------------------------------------------------------------
# images: tiny PNG and JPEG writers (no PIL needed)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(w, h, value=128, ihdr_size=None):
    iw, ih = ihdr_size or (w, h)
    raw = b"".join(b"\x00" + bytes([value]) * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", iw, ih, 8, 0, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def jpeg_bytes(w, h, sof_size=None):
    """Baseline gray JPEG whose every 8x8 block is flat: one-code Huffman tables, each block coded as
    DC difference 0 ('0') and end-of-block ('0')."""
    fw, fh = sof_size or (w, h)
    blocks = ((w + 7) // 8) * ((h + 7) // 8)
    bits = "00" * blocks
    bits += "1" * (-len(bits) % 8)
    scan = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + b"\x01" * 64
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, fh, fw, 1) + b"\x01\x11\x00"
    counts = b"\x01" + b"\x00" * 15
    dht = (b"\xff\xc4" + struct.pack(">H", 2 + 17 + 1) + b"\x00" + counts + b"\x00"
           + b"\xff\xc4" + struct.pack(">H", 2 + 17 + 1) + b"\x10" + counts + b"\x00")
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00" + b"\x00\x3f\x00"
    return b"\xff\xd8" + dqt + sof + dht + sos + scan + b"\xff\xd9"


def gen_images(out, ckpt):
    """Each case is an image folder (classes a, b as in training) holding one bad image, evaluated
    with the base model (trained with on_bad_image: error)."""
    good_png = png_bytes(8, 8)
    good_jpg = jpeg_bytes(8, 8)
    write(os.path.join(out, "base", "eval", "a", "good.png"), good_png)
    write(os.path.join(out, "base", "eval", "b", "good.jpg"), good_jpg)
    case("control_eval", ["eval", ckpt, "--data", "base/eval"], [], "eval on good PNG and JPEG images", 0)

    def img(name, fname, data, expect, what, cmd="eval"):
        folder = f"cases/{name}/data"
        write(os.path.join(out, folder, "a", "good.png"), good_png)
        write(os.path.join(out, folder, "b", fname), data)
        if cmd == "eval":
            case(name, ["eval", ckpt, "--data", folder], [fname] + expect, what)
        else:  # the message must name the path as given, not predict's scratch link to it
            case(name, ["predict", ckpt, f"{folder}/b/{fname}"], [f"{folder}/b/{fname}"] + expect, what)

    img("png_ihdr_huge", "huge.png", png_bytes(8, 8, ihdr_size=(100_000, 100_000)), ["100000"],
        "PNG whose IHDR claims 100000x100000 (10^10 pixels)")
    img("png_ihdr_max", "max.png", png_bytes(8, 8, ihdr_size=(0x7FFFFFFF, 0x7FFFFFFF)), [],
        "PNG whose IHDR claims 2^31-1 x 2^31-1")
    img("png_ihdr_huge_predict", "huge.png", png_bytes(8, 8, ihdr_size=(100_000, 100_000)), ["100000"],
        "predict on a PNG claiming 100000x100000", cmd="predict")
    img("png_ihdr_wide", "wide.png", png_bytes(8, 8, ihdr_size=(1_000_000, 1)), [],
        "PNG claiming 1000000x1 whose data has 8x8 pixels")
    img("png_trunc_signature", "sig.png", good_png[:5], [], "PNG cut inside the signature")
    img("png_trunc_ihdr", "ihdr.png", good_png[:20], [], "PNG cut inside IHDR")
    cut = good_png.index(b"IDAT") + 10
    img("png_trunc_idat", "idat.png", good_png[:cut], [], "PNG cut inside the image data")
    # Every pixel is present without the closing IEND chunk; libpng (and PIL) read it, so this
    # control documents that it is accepted rather than claiming a truncation is detected.
    write(os.path.join(out, "cases/png_no_iend/data/a/noiend.png"), good_png[:-12])
    case("png_no_iend", ["eval", ckpt, "--data", "cases/png_no_iend/data"], [],
         "PNG without its 12-byte IEND chunk: all pixel data present, accepted", 0)
    img("png_flip_idat", "flip.png", flip(good_png, good_png.index(b"IDAT") + 6, 1), [],
        "bit flip in IDAT (chunk CRC mismatch)")
    img("png_flip_ihdr", "flipihdr.png", flip(good_png, 18, 0), [], "bit flip in IHDR's width (CRC mismatch)")
    img("jpeg_sof_huge", "huge.jpg", jpeg_bytes(8, 8, sof_size=(65000, 65000)), ["65000"],
        "JPEG whose frame header claims 65000x65000")
    img("jpeg_trunc_header", "head.jpg", good_jpg[:30], [], "JPEG cut inside the quantization table")
    img("jpeg_trunc_scan", "scan.jpg", good_jpg[:-3], [], "JPEG cut inside the scan, no EOI")
    img("jpeg_soi_only", "soi.jpg", good_jpg[:3], [], "only the JPEG start marker")
    img("image_text", "text.png", b"this is not an image\n", [], "a text file named .png")
    img("image_empty", "empty.jpg", b"", [], "an empty .jpg")

    def train(name, fname, data, expect, what, verify="header"):
        """`cairn train` on a folder holding one bad image: must fail before creating its run directory."""
        folder = f"cases/{name}/data"
        write(os.path.join(out, folder, "a", "good.png"), good_png)
        write(os.path.join(out, folder, "b", fname), data)
        cfg = ("model:\n  input: [1, 8, 8]\n  layers: [flatten, {linear: {out: 2}}]\n"
               f"data:\n  train: {{image_folder: {folder}, on_bad_image: error, verify: {verify}}}\n  batch_size: 2\n"
               "training: {epochs: 1}\n")
        write(os.path.join(out, f"cases/{name}/config.yaml"), cfg.encode())
        case(name, ["train", f"cases/{name}/config.yaml", "--run-dir", f"cases/{name}/run", "--quiet"],
             [fname] + expect, what)

    train("train_png_ihdr_huge", "huge.png", png_bytes(8, 8, ihdr_size=(100_000, 100_000)), ["100000"],
          "train on a folder with a PNG claiming 100000x100000")
    train("train_jpeg_sof_huge", "huge.jpg", jpeg_bytes(8, 8, sof_size=(65000, 65000)), ["65000"],
          "train on a folder with a JPEG claiming 65000x65000")
    train("train_png_trunc_idat", "idat.png", good_png[:cut], [], "train (verify: decode) on a truncated PNG",
          verify="decode")
    train("train_jpeg_trunc_scan", "scan.jpg", good_jpg[:-3], [], "train (verify: decode) on a truncated JPEG",
          verify="decode")


# ---------------------------------------------------------------------------------------------
# Cairn checkpoint directories and YAML run configs


def train_base(out, cairn):
    """A tiny image-folder run; its last checkpoint is the base directory."""
    for cls, v in (("a", 40), ("b", 200)):
        for i in range(2):
            write(os.path.join(out, "base", "train", cls, f"{i}.png"), png_bytes(8, 8, value=v + i))
    cfg = ("seed: 1\nmodel:\n  input: [1, 8, 8]\n  layers: [flatten, {linear: {out: 2}}]\n"
           "data:\n  train: {image_folder: base/train, on_bad_image: error}\n  batch_size: 2\n"
           "optimizer: {name: sgd, lr: 0.1}\ntraining: {epochs: 1}\n")
    write(os.path.join(out, "base", "train.yaml"), cfg.encode())
    run_dir = os.path.join(out, "base", "run")
    r = subprocess.run([cairn, "train", "base/train.yaml", "--run-dir", "base/run", "--quiet"], cwd=out,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        sys.exit(f"cairn train failed ({r.returncode}): {r.stderr}")
    ckdir = os.path.join(run_dir, "checkpoints")
    dirs = sorted(d for d in os.listdir(ckdir) if os.path.isdir(os.path.join(ckdir, d)) and
                  not os.path.islink(os.path.join(ckdir, d)) and
                  os.path.exists(os.path.join(ckdir, d, "manifest.json")))
    if not dirs:
        sys.exit(f"no checkpoint directory in {ckdir}: {os.listdir(ckdir)}")
    dst = os.path.join(out, "base", "ckpt")
    shutil.copytree(os.path.join(ckdir, dirs[-1]), dst)
    shutil.rmtree(run_dir)
    return "base/ckpt"


def gen_dirs(out, ckpt):
    src = os.path.join(out, ckpt)
    case("control_good_dir", ["verify", ckpt], [], "the untouched checkpoint directory", 0)

    def d(name, mod, expect, what, cmd="verify"):
        rel = f"cases/{name}/ckpt"
        dst = os.path.join(out, rel)
        shutil.copytree(src, dst)
        mod(dst)
        args = [cmd, rel] if cmd != "eval" else ["eval", rel, "--data", "base/eval"]
        if cmd == "convert":
            args = ["convert", rel, f"cases/{name}/out.safetensors"]
        case(name, args, expect, what)

    def truncate(fname, keep):
        def mod(dst):
            p = os.path.join(dst, fname)
            data = read(p)
            write(p, data[: keep(len(data))])
        return mod

    def flipper(fname, where, bit=0):
        def mod(dst):
            p = os.path.join(dst, fname)
            data = read(p)
            write(p, flip(data, where(data), bit))
        return mod

    def remove(fname):
        return lambda dst: os.remove(os.path.join(dst, fname))

    for fname in ("model.safetensors", "manifest.json", "trainer_state.json"):
        stem = fname.split(".")[0]
        d(f"dir_trunc_{stem}_half", truncate(fname, lambda n: n // 2), [fname], f"{fname} cut in half")
        d(f"dir_trunc_{stem}_empty", truncate(fname, lambda n: 0), [fname], f"{fname} emptied")
        d(f"dir_missing_{stem}", remove(fname), [fname], f"{fname} deleted")
    d("dir_trunc_model_last_byte", truncate("model.safetensors", lambda n: n - 1), ["model.safetensors"],
      "model.safetensors one byte short")
    d("dir_extra_file", lambda dst: write(os.path.join(dst, "notes.txt"), b"hi\n"), ["notes.txt"],
      "an extra file the manifest does not list")
    d("dir_extra_dir", lambda dst: os.makedirs(os.path.join(dst, "sub")), ["sub"],
      "an extra subdirectory")
    d("dir_flip_model_data", flipper("model.safetensors", lambda b: len(b) - 2, 3), ["model.safetensors", "SHA-256"],
      "bit flip in tensor data: the manifest's SHA-256 must catch it")
    d("dir_flip_model_header", flipper("model.safetensors", lambda b: b.index(b"dtype") + 1, 1),
      ["model.safetensors"], "bit flip in model.safetensors' JSON header")
    d("dir_flip_trainer_state", flipper("trainer_state.json", lambda b: b.index(b"epoch") + 1, 0),
      ["trainer_state.json"], "bit flip in trainer_state.json")
    d("dir_flip_manifest_brace", flipper("manifest.json", lambda b: 0, 1), ["manifest.json"],
      "bit flip in manifest.json's opening brace")
    d("dir_flip_model_data_eval", flipper("model.safetensors", lambda b: len(b) - 2, 3), ["model.safetensors"],
      "eval on a checkpoint whose tensor data has a flipped bit", cmd="eval")
    d("dir_flip_model_data_convert", flipper("model.safetensors", lambda b: len(b) - 2, 3), ["model.safetensors"],
      "convert on a checkpoint with a flipped data bit must not write its output", cmd="convert")
    d("dir_trunc_model_inspect", truncate("model.safetensors", lambda n: n - 7), ["model.safetensors"],
      "inspect on a checkpoint whose model.safetensors lost its last 7 bytes", cmd="inspect")
    d("dir_trunc_model_eval", truncate("model.safetensors", lambda n: n // 2), ["model.safetensors"],
      "eval on a truncated model.safetensors", cmd="eval")


YAML_OK = ("model:\n  input: [1, 8, 8]\n  layers: [flatten, {linear: {out: 2}}]\n"
           "data:\n  train: {image_folder: base/train}\n")


def gen_yaml(out):
    def y(name, text, expect, what):
        rel = f"cases/{name}/config.yaml"
        write(os.path.join(out, rel), text if isinstance(text, bytes) else text.encode())
        case(name, ["train", rel, "--run-dir", f"cases/{name}/run", "--quiet"], ["config.yaml"] + expect, what)

    y("yaml_epochs_word", YAML_OK + "training: {epochs: five}\n", ["training.epochs", "integer"],
      "epochs: five")
    y("yaml_epochs_string", YAML_OK + "training: {epochs: \"2\"}\n", ["training.epochs", "integer"],
      "epochs as a quoted string")
    y("yaml_lr_list", YAML_OK + "training: {epochs: 1}\noptimizer: {name: sgd, lr: [1, 2]}\n", ["optimizer.lr"],
      "a list where a number belongs")
    y("yaml_layers_mapping", "model: {input: [1, 8, 8], layers: {flatten: 1}}\ndata: {train: base/train}\n"
      "training: {epochs: 1}\n", ["model.layers"], "layers as a mapping")
    y("yaml_unknown_key", YAML_OK + "training: {epochs: 1}\noptimizer: {name: adam, lrr: 0.1}\n", ["lrr"],
      "unknown key lrr")
    y("yaml_unknown_top_key", YAML_OK + "training: {epochs: 1}\ntrainnig: {}\n", ["trainnig"],
      "unknown top-level key")
    laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        laughs += f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    y("yaml_billion_laughs", laughs, ["anchor"], "billion laughs: 9 levels of 9 aliases")
    y("yaml_merge_alias", YAML_OK + "base: &b {epochs: 1}\ntraining:\n  <<: *b\n", ["anchor"],
      "a merge key through an alias")
    y("yaml_python_tag", YAML_OK + "training: !!python/object/apply:os.system [\"echo\"]\n", ["tag"],
      "a !!python/object/apply tag")
    y("yaml_huge_document", YAML_OK + "training: {epochs: 1}\n" + "# padding padding padding\n" * 120_000,
      ["1048576"], "a 3 MB document (limit 1 MiB)")
    y("yaml_deep_nesting", YAML_OK + "training: {epochs: 1}\nx: " + "[" * 10_000 + "]" * 10_000 + "\n",
      ["deeper than 32"], "10,000 nested flow lists")
    y("yaml_deep_block_nesting", YAML_OK + "training: {epochs: 1}\n"
      + "".join(" " * i + f"k{i}:\n" for i in range(200)) + " " * 200 + "v: 1\n", ["deeper than 32"],
      "200 nested block mappings")
    y("yaml_many_values", YAML_OK + "training: {epochs: 1}\nx: [" + ",".join(["1"] * 150_000) + "]\n",
      ["100"], "150,000 values (limit 100,000)")
    y("yaml_duplicate_key", YAML_OK + "training: {epochs: 1}\ntraining: {epochs: 2}\n", ["training"],
      "training given twice")
    y("yaml_multi_document", YAML_OK + "training: {epochs: 1}\n---\nseed: 1\n", [], "two YAML documents")
    y("yaml_truncated", YAML_OK + "training: {epochs: [1, 2", [], "file ends inside a flow sequence")
    y("yaml_binary", bytes(range(256)) * 4, [], "binary garbage (not UTF-8)")
    y("yaml_empty", b"", ["model"], "an empty file")
    y("yaml_top_list", "- 1\n- 2\n", [], "a list instead of a mapping")
    y("yaml_seed_overflow", YAML_OK + "training: {epochs: 1}\nseed: 99999999999999999999999\n", ["seed"],
      "seed beyond UInt64")
    y("yaml_epochs_negative", YAML_OK + "training: {epochs: -3}\n", ["training.epochs"], "negative epochs")
    y("yaml_input_overflow", "model:\n  input: [1, 4611686018427387904, 4611686018427387904]\n"
      "  layers: [flatten, {linear: {out: 2}}]\ndata: {train: base/train}\ntraining: {epochs: 1}\n",
      ["model.input"], "model.input whose element count overflows Int64")
    y("yaml_linear_huge", YAML_OK.replace("{out: 2}", "{out: 4611686018427387904}") + "training: {epochs: 1}\n",
      ["model.layers[1]"], "a linear layer of 2^62 outputs")
    y("yaml_conv_kernel_huge", "model:\n  input: [1, 8, 8]\n  layers: [{conv2d: {out: 2, kernel: 3, "
      "dilation: 4611686018427387904}}, flatten, {linear: {out: 2}}]\ndata: {train: base/train}\n"
      "training: {epochs: 1}\n", ["model.layers[0]"], "a conv2d dilation of 2^62 (overflows the shape arithmetic)")
    y("yaml_conv_params_huge", "model:\n  input: [1, 8, 8]\n  layers: [{conv2d: {out: 65536, kernel: 3, "
      "padding: 1}}, {conv2d: {out: 65536, kernel: 3, padding: 1}}, flatten, {linear: {out: 2}}]\n"
      "data: {train: base/train}\ntraining: {epochs: 1}\n", ["model.layers[1]"],
      "a conv2d weight of 65536x65536x3x3 (2^35 parameters)")


def find_cairn(given):
    if given:
        return os.path.abspath(given)
    found = shutil.which("cairn")
    if found:
        return found
    sys.exit("the cairn binary is needed to make the base checkpoint directory: pass --cairn PATH")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--cairn", help="the cairn binary (default: cairn on PATH)")
    a = ap.parse_args()
    out = os.path.abspath(a.outdir)
    cairn = find_cairn(a.cairn)
    os.makedirs(out, exist_ok=True)
    if os.listdir(out):
        sys.exit(f"{out}: not empty")
    ckpt = train_base(out, cairn)
    gen_safetensors(out)
    gen_pth(out)
    gen_dirs(out, ckpt)
    gen_images(out, ckpt)
    gen_yaml(out)
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(CASES, f, indent=1)
    print(f"{len(CASES)} cases in {out}")


if __name__ == "__main__":
    main()
