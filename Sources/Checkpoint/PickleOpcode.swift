/// The pickle opcodes the reader executes (spec §4.2); every other byte is rejected by name.
enum PickleOpcode: UInt8, Sendable {
    case proto = 0x80, stop = 0x2e, global = 0x63
    case binput = 0x71, longBinput = 0x72, binget = 0x68, longBinget = 0x6a
    case mark = 0x28, emptyTuple = 0x29, tuple = 0x74, tuple1 = 0x85, tuple2 = 0x86, tuple3 = 0x87
    case emptyList = 0x5d, append = 0x61, appends = 0x65
    case emptyDict = 0x7d, setitem = 0x73, setitems = 0x75
    case reduce = 0x52, build = 0x62, binpersid = 0x51
    case binunicode = 0x58, shortBinstring = 0x55
    case binint1 = 0x4b, binint2 = 0x4d, binint = 0x4a, long1 = 0x8a, binfloat = 0x47
    case none = 0x4e, newTrue = 0x88, newFalse = 0x89
    case emptySet = 0x8f

    /// Names of opcodes that exist in Python's pickle but are refused, for error messages.
    static let rejectedNames: [UInt8: String] = [
        0x8c: "SHORT_BINUNICODE (protocol 4)", 0x8d: "BINUNICODE8 (protocol 4)", 0x8e: "BINBYTES8 (protocol 4)",
        0x94: "MEMOIZE (protocol 4)", 0x95: "FRAME (protocol 4)", 0x93: "STACK_GLOBAL (protocol 4)",
        0x42: "BINBYTES (protocol 3)", 0x43: "SHORT_BINBYTES (protocol 3)", 0x8b: "LONG4",
        0x92: "NEWOBJ_EX (protocol 4)", 0x91: "FROZENSET (protocol 4)", 0x90: "ADDITEMS (protocol 4)",
        0x96: "BYTEARRAY8 (protocol 5)", 0x97: "NEXT_BUFFER (protocol 5)", 0x98: "READONLY_BUFFER (protocol 5)",
        0x49: "INT (text)", 0x4c: "LONG (text)", 0x46: "FLOAT (text)", 0x53: "STRING (text)",
        0x56: "UNICODE (text)", 0x70: "PUT (text)", 0x67: "GET (text)", 0x50: "PERSID (text)",
        0x69: "INST", 0x6f: "OBJ", 0x81: "NEWOBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
        0x32: "DUP", 0x30: "POP", 0x31: "POP_MARK", 0x54: "BINSTRING",
    ]

    /// A readable name for any opcode byte.
    static func name(of byte: UInt8) -> String {
        if let n = rejectedNames[byte] { return n }
        if let op = PickleOpcode(rawValue: byte) { return "\(op)".uppercased() }
        return "unknown opcode"
    }
}
