import Checkpoint
import Foundation
import Optimizers
import TensorCore

/// Printing `--json` results: one object, keys sorted so the output is stable; non-finite numbers
/// are written as the strings "nan", "inf", "-inf" (JSON has no literal for them).
enum JSONOutput {
    /// `value` as pretty-printed JSON text with sorted keys.
    static func render(_ value: JSONValue) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(value), as: UTF8.self)
    }

    /// Prints `value` to stdout.
    static func print(_ value: JSONValue) throws {
        Swift.print(try render(value))
    }

    /// A tensor's description: `{"name", "dtype", "shape", "bytes"}`.
    static func tensor(name: String, dtype: DType, shape: [Int], bytes: Int) -> JSONValue {
        .object(["name": .string(name), "dtype": .string(dtype.rawValue),
                 "shape": .array(shape.map { .int(Int64($0)) }), "bytes": .int(Int64(bytes))])
    }

    /// A hyper-parameter dictionary as JSON (tuples become arrays).
    static func hyper(_ d: HyperDict) -> JSONValue {
        .object(Dictionary(d.pairs.map { ($0.0, hyper($0.1)) }, uniquingKeysWith: { a, _ in a }))
    }

    /// One hyper-parameter value as plain JSON (`betas` as `[0.9, 0.999]`).
    static func hyper(_ v: HyperValue) -> JSONValue {
        switch v {
        case .none: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(Int64(i))
        case .double(let d): return .number(d)
        case .string(let s): return .string(s)
        case .tuple(let a), .list(let a): return .array(a.map(hyper))
        case .dict(let d): return hyper(d)
        case .counter(let c): return .array(c.map { .object(["key": .int(Int64($0.key)), "count": .int(Int64($0.count))]) })
        }
    }

    /// A non-tensor `.pth` leaf as JSON; bytes are summarized by length.
    static func leaf(_ v: CheckpointValue) -> JSONValue {
        switch v {
        case .none: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .number(d)
        case .string(let s): return .string(s)
        case .bytes(let b): return .string("<\(b.count) bytes>")
        default: return .string("<\(v.kindName)>")
        }
    }

    /// A number that may be NaN or infinite.
    static func number(_ d: Double) -> JSONValue { .number(d) }
}
