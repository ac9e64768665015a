import Foundation

/// A Keras-style checkpoint directory name template such as `ckpt-{epoch:04d}-{step:06d}` or
/// `best-{val_loss:.3f}`.
///
/// Fields: `epoch`, `step` and its alias `global_step` (integers), and any metric name (a `Double`
/// from the save's metrics). `{{` and `}}` are literal braces. A spec follows Python's
/// `format()` mini-language subset `[0][width][.precision][type]`:
/// - `d`: decimal integer (integer fields only, as in Python);
/// - `f`: fixed point, precision 6 by default; `e`: scientific (`1.230000e-04`), precision 6 by default;
/// - `s` or no type: the value's plain text (integers in decimal, metrics in shortest round-trip form).
/// Numbers are right-aligned in `width`; `0` pads with zeros after the sign (`-0003`), spaces otherwise;
/// `s` is left-aligned like Python's strings. NaN and infinities print as `nan`, `inf`, `-inf`.
///
/// The rendered name must be a single, visible path component: non-empty, no `/`, `\` or NUL,
/// not starting with `.` (which also keeps it clear of the manager's `.tmp-*` and `.trash-*` names),
/// and at most 255 UTF-8 bytes. Collisions with existing names are resolved by `uniqueName`.
public struct FilenameTemplate: Sendable, Equatable, CustomStringConvertible {
    /// What to do when a rendered name already exists.
    public enum CollisionPolicy: String, Sendable, Equatable, Codable {
        /// Append `-1`, `-2`, … (the first free one) so an existing checkpoint is never overwritten.
        case suffix
        /// Throw `FilenameTemplateError.collision`.
        case fail
    }

    /// One parsed piece of the template.
    enum Piece: Sendable, Equatable {
        case literal(String)
        case field(name: String, spec: Spec)
    }

    /// A parsed format spec.
    struct Spec: Sendable, Equatable {
        var zeroPad = false
        var width = 0
        var precision: Int?
        var type: Character?
        var text = ""
    }

    /// The template text as given.
    public let pattern: String
    let pieces: [Piece]

    /// Integer fields every save provides; any other field name is looked up in the metrics.
    public static let integerFields: [String] = ["epoch", "step", "global_step"]

    /// The Keras-like default `ckpt-{epoch:04d}-{step:06d}`.
    public static let `default` = try! FilenameTemplate("ckpt-{epoch:04d}-{step:06d}")

    /// Parses `pattern`; throws for unbalanced braces, empty field names and malformed specs.
    public init(_ pattern: String) throws {
        self.pattern = pattern
        var pieces: [Piece] = []
        var literal = ""
        let chars = Array(pattern)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "{" {
                if i + 1 < chars.count, chars[i + 1] == "{" { literal.append("{"); i += 2; continue }
                guard let close = chars[(i + 1)...].firstIndex(of: "}") else {
                    throw FilenameTemplateError.unbalancedBrace(template: pattern, offset: i)
                }
                let body = String(chars[(i + 1)..<close])
                if body.contains("{") { throw FilenameTemplateError.unbalancedBrace(template: pattern, offset: i) }
                let name: String
                let specText: String
                if let colon = body.firstIndex(of: ":") {
                    name = String(body[..<colon])
                    specText = String(body[body.index(after: colon)...])
                } else {
                    name = body
                    specText = ""
                }
                guard !name.isEmpty else { throw FilenameTemplateError.emptyFieldName(template: pattern, offset: i) }
                let spec = try Self.parseSpec(specText, field: name, template: pattern)
                if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
                pieces.append(.field(name: name, spec: spec))
                i = close + 1
            } else if c == "}" {
                if i + 1 < chars.count, chars[i + 1] == "}" { literal.append("}"); i += 2; continue }
                throw FilenameTemplateError.unbalancedBrace(template: pattern, offset: i)
            } else {
                literal.append(c)
                i += 1
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    /// Field names in order of appearance (repeats kept).
    public var fields: [String] {
        pieces.compactMap { if case let .field(name, _) = $0 { return name } else { return nil } }
    }

    /// A one-line, human-readable message.

    /// The template text.
    public var description: String { pattern }

    /// Templates are equal when their text is.
    public static func == (a: FilenameTemplate, b: FilenameTemplate) -> Bool { a.pattern == b.pattern }

    /// Renders the name for a save; throws `unknownField` naming a field with no value, or `unsafeName`.
    public func render(epoch: Int, globalStep: Int, metrics: [String: Double] = [:]) throws -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case let .literal(s):
                out += s
            case let .field(name, spec):
                switch name {
                case "epoch": out += Self.format(int: epoch, spec)
                case "step", "global_step": out += Self.format(int: globalStep, spec)
                default:
                    guard let v = metrics[name] else {
                        throw FilenameTemplateError.unknownField(
                            template: pattern, field: name, available: Self.integerFields + metrics.keys.sorted())
                    }
                    out += Self.format(double: v, spec)
                }
            }
        }
        if let reason = Self.unsafeReason(out) {
            throw FilenameTemplateError.unsafeName(template: pattern, rendered: out, reason: reason)
        }
        return out
    }

    /// `name` itself when free, else per `policy`: `name-1`, `name-2`, … or a `collision` error.
    public func uniqueName(_ name: String, existing: Set<String>, policy: CollisionPolicy) throws -> String {
        guard existing.contains(name) else { return name }
        if policy == .fail { throw FilenameTemplateError.collision(template: pattern, name: name) }
        var n = 1
        while existing.contains("\(name)-\(n)") { n += 1 }
        let candidate = "\(name)-\(n)"
        if let reason = Self.unsafeReason(candidate) {
            throw FilenameTemplateError.unsafeName(template: pattern, rendered: candidate, reason: reason)
        }
        return candidate
    }

    /// Why `name` is not a safe checkpoint directory name, or nil when it is.
    public static func unsafeReason(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name == "." || name == ".." { return "'.' and '..' are not names" }
        if name.contains("/") { return "it contains '/'" }
        if name.contains("\\") { return "it contains '\\'" }
        if name.unicodeScalars.contains(where: { $0.value == 0 }) { return "it contains NUL" }
        if name.hasPrefix(".") { return "it starts with '.' (hidden, and reserved for .tmp-*/.trash-* directories)" }
        if name.utf8.count > 255 { return "it is longer than 255 bytes" }
        return nil
    }

    static func parseSpec(_ text: String, field: String, template: String) throws -> Spec {
        var spec = Spec(text: text)
        var chars = Substring(text)
        func bad(_ reason: String) -> FilenameTemplateError {
            .invalidFormatSpec(template: template, field: field, spec: text, reason: reason)
        }
        if chars.first == "0" { spec.zeroPad = true; chars = chars.dropFirst() }
        let widthDigits = chars.prefix(while: { $0.isASCII && $0.isNumber })
        if !widthDigits.isEmpty {
            guard let w = Int(widthDigits), w <= 255 else { throw bad("width must be at most 255") }
            spec.width = w
            chars = chars.dropFirst(widthDigits.count)
        }
        if chars.first == "." {
            chars = chars.dropFirst()
            let digits = chars.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty else { throw bad("'.' must be followed by a precision") }
            guard let p = Int(digits), p <= 64 else { throw bad("precision must be at most 64") }
            spec.precision = p
            chars = chars.dropFirst(digits.count)
        }
        if let t = chars.first {
            guard "dfes".contains(t) else { throw bad("unsupported type '\(t)' (use d, f, e or s)") }
            spec.type = t
            chars = chars.dropFirst()
        }
        guard chars.isEmpty else { throw bad("unexpected '\(chars)' (expected [0][width][.precision][d|f|e|s])") }
        let isInt = integerFields.contains(field)
        if spec.type == "d" {
            guard isInt else { throw bad("'d' needs an integer field; metrics are floating point (use f or e)") }
            if spec.precision != nil { throw bad("precision is not allowed with 'd'") }
        }
        if spec.type == nil, isInt, spec.precision != nil {
            throw bad("precision on an integer needs type f or e")
        }
        return spec
    }

    static func format(int value: Int, _ spec: Spec) -> String {
        switch spec.type {
        case "f", "e": return format(double: Double(value), spec)
        case "s": return pad(spec.precision.map { String(String(value).prefix($0)) } ?? String(value), spec, leftAlign: true)
        default: return pad(String(value), spec, leftAlign: false)
        }
    }

    static func format(double value: Double, _ spec: Spec) -> String {
        let body: String
        if value.isNaN {
            body = "nan"
        } else if value.isInfinite {
            body = value < 0 ? "-inf" : "inf"
        } else {
            switch spec.type {
            case "f": body = String(format: "%.\(spec.precision ?? 6)f", value)
            case "e": body = String(format: "%.\(spec.precision ?? 6)e", value)
            case "s": return pad(plain(value, precision: spec.precision), spec, leftAlign: true)
            default:
                // Python's `{:.3}` on a float means 3 significant digits ('g'); keep it, it is common in Keras names.
                if let p = spec.precision { body = String(format: "%.\(max(p, 1))g", value) } else { body = plain(value, precision: nil) }
            }
        }
        return pad(body, spec, leftAlign: false)
    }

    /// Shortest round-trip text, which matches Python's `repr(float)` for ordinary magnitudes.
    static func plain(_ value: Double, precision: Int?) -> String {
        let s = value.description
        if let p = precision { return String(s.prefix(p)) }
        return s
    }

    static func pad(_ body: String, _ spec: Spec, leftAlign: Bool) -> String {
        let n = body.count
        guard spec.width > n else { return body }
        let fill = spec.width - n
        if leftAlign { return body + String(repeating: spec.zeroPad ? "0" : " ", count: fill) }
        if spec.zeroPad {
            // Zeros go after the sign, as in Python: '{:05d}'.format(-3) == '-0003'.
            if body.first == "-" || body.first == "+" {
                return String(body.first!) + String(repeating: "0", count: fill) + body.dropFirst()
            }
            return String(repeating: "0", count: fill) + body
        }
        return String(repeating: " ", count: fill) + body
    }
}
