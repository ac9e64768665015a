import Foundation
import Optimizers

/// Parses JSON text into `HyperValue`s, keeping Python's int/float distinction from the number's
/// spelling (`8.0` is a float, `29` an int) and object key order. Test-only: no error recovery.
enum TorchJSON {
    static func parse(_ text: String) -> HyperValue {
        var p = Parser(bytes: Array(text.utf8))
        return p.value()
    }

    /// The form a torch value takes after `json.dumps` in the fixture generator: tuples become lists,
    /// Counters become dicts with string keys, non-finite floats become strings.
    static func jsonForm(_ v: HyperValue) -> HyperValue {
        switch v {
        case .tuple(let a), .list(let a): return .list(a.map(jsonForm))
        case .dict(let d): return .dict(HyperDict(d.pairs.map { ($0.0, jsonForm($0.1)) }))
        case .counter(let e): return .dict(HyperDict(e.map { ("\($0.key)", .int($0.count)) }))
        case .double(let d) where !d.isFinite: return .string(d.isNaN ? "nan" : (d > 0 ? "inf" : "-inf"))
        default: return v
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        mutating func skip() { while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 } }

        mutating func value() -> HyperValue {
            skip()
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var d = HyperDict()
                skip()
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .dict(d) }
                while true {
                    skip()
                    guard case .string(let k) = value() else { fatalError("TorchJSON: object key is not a string") }
                    skip(); i += 1  // ':'
                    d[k] = value()
                    skip()
                    let c = bytes[i]; i += 1
                    if c == UInt8(ascii: "}") { return .dict(d) }
                }
            case UInt8(ascii: "["):
                i += 1
                var a: [HyperValue] = []
                skip()
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .list(a) }
                while true {
                    a.append(value())
                    skip()
                    let c = bytes[i]; i += 1
                    if c == UInt8(ascii: "]") { return .list(a) }
                }
            case UInt8(ascii: "\""):
                i += 1
                var s: [UInt8] = []
                while bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") { i += 1 }
                    s.append(bytes[i]); i += 1
                }
                i += 1
                return .string(String(decoding: s, as: UTF8.self))
            case UInt8(ascii: "t"): i += 4; return .bool(true)
            case UInt8(ascii: "f"): i += 5; return .bool(false)
            case UInt8(ascii: "n"): i += 4; return .none
            default:
                let start = i
                while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
                let text = String(decoding: bytes[start..<i], as: UTF8.self)
                if text.contains(where: { ".eE".contains($0) }) { return .double(Double(text)!) }
                return .int(Int(text)!)
            }
        }
    }
}
