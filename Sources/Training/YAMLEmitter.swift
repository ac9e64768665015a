/// Writes a `ConfigEncoder.Box` tree as block YAML, with short all-scalar lists and nested
/// mappings on one line (`input: [1, 28, 28]`, `- conv2d: {out: 16, kernel: 5}`) and strings
/// quoted only when the reader would otherwise take them for something else.
enum YAMLEmitter {
    /// The document text, ending in a newline.
    static func emit(_ root: ConfigEncoder.Box) -> String {
        var lines: [String] = []
        switch root.value {
        case .mapping, .sequence: block(root, indent: 0, depth: 0, into: &lines)
        default: lines.append(flow(root))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Widest line a flow collection may take.
    static let flowWidth = 72

    private static func isScalar(_ b: ConfigEncoder.Box) -> Bool {
        switch b.value {
        case .scalar, .unset: return true
        case let .sequence(items): return items.isEmpty
        case let .mapping(pairs): return pairs.isEmpty
        }
    }

    /// Whether `b` goes on its key's line: scalars, lists of scalars, and below the sections,
    /// mappings of scalars and such lists (`{kernel: [3, 5], padding: 1}`), when they fit.
    /// Sections themselves stay in block style so each reads as a block.
    private static func inline(_ b: ConfigEncoder.Box, depth: Int, width: Int) -> Bool {
        switch b.value {
        case .scalar, .unset: return true
        case let .sequence(items):
            return items.allSatisfy(isScalar) && flow(b).count <= width
        case let .mapping(pairs):
            return depth >= 2 && pairs.allSatisfy { isScalar($0.1) || isScalarList($0.1) } && flow(b).count <= width
        }
    }

    private static func isScalarList(_ b: ConfigEncoder.Box) -> Bool {
        if case let .sequence(items) = b.value { return items.allSatisfy(isScalar) }
        return false
    }

    private static func block(_ b: ConfigEncoder.Box, indent: Int, depth: Int, into lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        switch b.value {
        case let .mapping(pairs):
            if pairs.isEmpty { lines.append(pad + "{}"); return }
            for (k, v) in pairs {
                let head = pad + key(k) + ":"
                if inline(v, depth: depth + 1, width: flowWidth - head.count) {
                    lines.append(head + " " + flow(v))
                } else {
                    lines.append(head)
                    block(v, indent: indent + 2, depth: depth + 1, into: &lines)
                }
            }
        case let .sequence(items):
            if items.isEmpty { lines.append(pad + "[]"); return }
            for item in items {
                if case .mapping = item.value, !isScalar(item) {
                    // A mapping item starts on the dash's line: "- key: value", later keys under it.
                    var sub: [String] = []
                    block(item, indent: indent + 2, depth: depth + 1, into: &sub)
                    sub[0] = pad + "- " + sub[0].dropFirst(indent + 2)
                    lines += sub
                } else if inline(item, depth: depth + 1, width: flowWidth - indent - 2) {
                    lines.append(pad + "- " + flow(item))
                } else {
                    var sub: [String] = []
                    block(item, indent: indent + 2, depth: depth + 1, into: &sub)
                    sub[0] = pad + "- " + sub[0].dropFirst(indent + 2)
                    lines += sub
                }
            }
        default:
            lines.append(pad + flow(b))
        }
    }

    /// One-line form.
    static func flow(_ b: ConfigEncoder.Box) -> String {
        switch b.value {
        case .unset: return "null"
        case let .scalar(s, isString): return isString ? string(s) : s
        case let .sequence(items): return "[" + items.map(flow).joined(separator: ", ") + "]"
        case let .mapping(pairs): return "{" + pairs.map { key($0.0) + ": " + flow($0.1) }.joined(separator: ", ") + "}"
        }
    }

    private static func key(_ k: String) -> String { string(k) }

    /// A string plain when it cannot be misread (a path, a name), else double-quoted.
    static func string(_ s: String) -> String {
        if isSafePlain(s) { return s }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    out += "\\x" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16, uppercase: true)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    private static func isSafePlain(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first else { return false }
        let ok: (Unicode.Scalar) -> Bool = { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || "_-./".unicodeScalars.contains(c)
        }
        guard s.unicodeScalars.allSatisfy(ok), first != "-", first != "." else { return false }
        return !ConfigNode.nullWords.contains(s) && !ConfigScalar.boolWords.contains(s) && ConfigScalar.double(s) == nil
            && !["yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off", "YES", "NO", "ON", "OFF"].contains(s)
    }
}
