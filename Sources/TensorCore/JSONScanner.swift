/// A strict, pull-style JSON reader over UTF-8 bytes, made for safetensors headers.
///
/// Foundation's parser turns numbers into `Double` (losing u64 offsets above 2^53) and silently
/// merges duplicate keys, so the reader walks the bytes itself: integers come out exact, object keys
/// are seen one by one, nesting is bounded (no stack overflow on hostile input), and nothing is
/// allocated beyond the strings and integers the caller asks for.
struct JSONScanner {
    /// A syntax error at byte `offset` of the scanned buffer.
    struct Failure: Error, Equatable {
        let offset: Int
        let reason: String
    }

    /// How a JSON number token reads as a safetensors integer.
    enum Integer: Equatable {
        /// A plain non-negative integer that fits in 64 bits.
        case unsigned(UInt64)
        /// A syntactically valid number that is negative, fractional or has an exponent.
        case notUnsigned(String)
        /// A non-negative integer above UInt64.max.
        case tooLarge(String)
    }

    /// Kinds of JSON value, told apart by their first byte.
    enum Kind { case object, array, string, number, bool, null }

    /// Nesting limit; serde_json (used by the upstream reader) stops at the same depth.
    static let maxDepth = 128

    let bytes: UnsafeBufferPointer<UInt8>
    /// Index of the next unread byte.
    var position: Int = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Checks that the whole buffer is one JSON value surrounded only by JSON whitespace.
    static func validateDocument(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        var s = JSONScanner(bytes)
        s.skipWhitespace()
        try s.skipValue(depth: 0)
        s.skipWhitespace()
        if s.position != bytes.count {
            throw Failure(offset: s.position, reason: "unexpected \(describe(bytes[s.position])) after the JSON value")
        }
    }

    var atEnd: Bool { position >= bytes.count }

    /// The next byte, nil at the end.
    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    /// The kind of the value starting at the next byte (whitespace already skipped).
    func peekKind() -> Kind? {
        guard let b = peek() else { return nil }
        switch b {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: return nil
        }
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Consumes `c` (after whitespace) when it is next; reports whether it did.
    mutating func consume(_ c: UInt8) -> Bool {
        skipWhitespace()
        if peek() == c { position += 1; return true }
        return false
    }

    /// Consumes `c` (after whitespace) or throws naming what was expected.
    mutating func expect(_ c: UInt8, _ what: String) throws {
        skipWhitespace()
        guard let b = peek() else { throw Failure(offset: position, reason: "expected \(what), found end of header") }
        guard b == c else { throw Failure(offset: position, reason: "expected \(what), found \(Self.describe(b))") }
        position += 1
    }

    /// Walks one object's members, calling `body` with each key (decoded UTF-8) and its byte offset
    /// with the scanner positioned at the member's value; `body` must consume the value.
    mutating func forEachMember(_ body: (inout JSONScanner, [UInt8], Int) throws -> Void) throws {
        try expect(UInt8(ascii: "{"), "'{'")
        if consume(UInt8(ascii: "}")) { return }
        repeat {
            skipWhitespace()
            let keyOffset = position
            guard peek() == UInt8(ascii: "\"") else {
                throw Failure(offset: position, reason: "expected a string key, found \(peek().map(Self.describe) ?? "end of header")")
            }
            let key = try readString()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            try body(&self, key, keyOffset)
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"), "',' or '}'")
    }

    /// Walks one array's elements, calling `body` positioned at each element; `body` must consume it.
    mutating func forEachElement(_ body: (inout JSONScanner) throws -> Void) throws {
        try expect(UInt8(ascii: "["), "'['")
        if consume(UInt8(ascii: "]")) { return }
        repeat {
            skipWhitespace()
            try body(&self)
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"), "',' or ']'")
    }

    /// Reads a string token and returns its decoded UTF-8 bytes.
    mutating func readString() throws -> [UInt8] {
        var out: [UInt8] = []
        try scanString(into: &out, keep: true)
        return out
    }

    /// Reads a number token and classifies it as a safetensors integer.
    mutating func readInteger() throws -> Integer {
        let start = position
        try scanNumber()
        let token = UnsafeBufferPointer(rebasing: bytes[start..<position])
        let text = String(decoding: token, as: UTF8.self)
        var value: UInt64 = 0
        for b in token {
            guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return .notUnsigned(text) }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
            if o1 || o2 { return .tooLarge(text) }
            value = a
        }
        return .unsigned(value)
    }

    /// Consumes one complete value of any kind, checking its syntax; `depth` counts enclosing containers.
    mutating func skipValue(depth: Int) throws {
        skipWhitespace()
        guard let b = peek() else { throw Failure(offset: position, reason: "expected a value, found end of header") }
        switch b {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < Self.maxDepth else {
                throw Failure(offset: position, reason: "nesting deeper than \(Self.maxDepth) levels")
            }
            if b == UInt8(ascii: "{") {
                try forEachMember { s, _, _ in try s.skipValue(depth: depth + 1) }
            } else {
                try forEachElement { s in try s.skipValue(depth: depth + 1) }
            }
        case UInt8(ascii: "\""):
            var none: [UInt8] = []
            try scanString(into: &none, keep: false)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber()
        default: throw Failure(offset: position, reason: "expected a value, found \(Self.describe(b))")
        }
    }

    /// Consumes `null` when it is next; reports whether it did.
    mutating func consumeNull() throws -> Bool {
        skipWhitespace()
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        let start = position
        guard bytes.count - position >= n else { throw Failure(offset: start, reason: "invalid literal") }
        let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
        for i in 0..<n where bytes[position + i] != w[i] {
            throw Failure(offset: position + i, reason: "invalid literal, expected \(word)")
        }
        position += n
    }

    /// JSON number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func scanNumber() throws {
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard let first = peek(), isDigit(first) else {
            throw Failure(offset: position, reason: "invalid number: expected a digit")
        }
        position += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard let d = peek(), isDigit(d) else { throw Failure(offset: position, reason: "invalid number: expected a digit after '.'") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard let d = peek(), isDigit(d) else { throw Failure(offset: position, reason: "invalid number: expected an exponent digit") }
            skipDigits()
        }
    }

    private mutating func skipDigits() {
        while let d = peek(), isDigit(d) { position += 1 }
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Scans a string token (opening quote next), validating escapes and rejecting raw control
    /// characters and unpaired surrogates; appends the decoded UTF-8 to `out` when `keep`.
    /// The buffer is already known to be valid UTF-8, so raw bytes are copied as they are.
    private mutating func scanString(into out: inout [UInt8], keep: Bool) throws {
        position += 1
        while true {
            guard position < bytes.count else { throw Failure(offset: position, reason: "unterminated string") }
            let b = bytes[position]
            if b == UInt8(ascii: "\"") { position += 1; return }
            if b < 0x20 {
                throw Failure(offset: position, reason: "control character \(Self.describe(b)) in string")
            }
            if b != UInt8(ascii: "\\") {
                if keep { out.append(b) }
                position += 1
                continue
            }
            let escapeStart = position
            position += 1
            guard position < bytes.count else { throw Failure(offset: position, reason: "unterminated escape") }
            let e = bytes[position]
            position += 1
            var scalar: UInt32
            switch e {
            case UInt8(ascii: "\""): scalar = 0x22
            case UInt8(ascii: "\\"): scalar = 0x5C
            case UInt8(ascii: "/"): scalar = 0x2F
            case UInt8(ascii: "b"): scalar = 0x08
            case UInt8(ascii: "f"): scalar = 0x0C
            case UInt8(ascii: "n"): scalar = 0x0A
            case UInt8(ascii: "r"): scalar = 0x0D
            case UInt8(ascii: "t"): scalar = 0x09
            case UInt8(ascii: "u"):
                scalar = try hex4()
                if (0xDC00...0xDFFF).contains(scalar) {
                    throw Failure(offset: escapeStart, reason: "unpaired low surrogate in \\u escape")
                }
                if (0xD800...0xDBFF).contains(scalar) {
                    guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else {
                        throw Failure(offset: escapeStart, reason: "unpaired high surrogate in \\u escape")
                    }
                    position += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw Failure(offset: escapeStart, reason: "high surrogate not followed by a low surrogate")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
            default:
                throw Failure(offset: escapeStart, reason: "invalid escape \\\(Self.describe(e))")
            }
            if keep, let u = Unicode.Scalar(scalar) { out.append(contentsOf: UTF8.encode(u)!) }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw Failure(offset: position, reason: "truncated \\u escape") }
        var v: UInt32 = 0
        for i in 0..<4 {
            let c = bytes[position + i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw Failure(offset: position + i, reason: "invalid hex digit in \\u escape")
            }
            v = v << 4 | UInt32(d)
        }
        position += 4
        return v
    }

    /// A byte for an error message: printable ASCII quoted, anything else in hex.
    static func describe(_ b: UInt8) -> String {
        (0x21...0x7E).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : String(format0x: b)
    }

    /// Index of the first byte that breaks UTF-8 (overlong forms, surrogates and values above
    /// U+10FFFF included), nil when all of `bytes` is valid.
    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let len: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: len = 2
            case 0xE0: len = 3; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: len = 3
            case 0xED: len = 3; hi = 0x9F
            case 0xF0: len = 4; lo = 0x90
            case 0xF1...0xF3: len = 4
            case 0xF4: len = 4; hi = 0x8F
            default: return i
            }
            guard n - i >= len else { return i }
            let b1 = bytes[i + 1]
            if b1 < lo || b1 > hi { return i }
            for k in 2..<max(len, 2) where bytes[i + k] & 0xC0 != 0x80 { return i }
            i += len
        }
        return nil
    }
}

private extension String {
    init(format0x b: UInt8) {
        let digits = Array("0123456789abcdef")
        self = "0x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 0xF)])
    }
}
