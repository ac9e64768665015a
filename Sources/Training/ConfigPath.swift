/// A dotted key path into a config document (`model.layers[6].linear.out`), as errors print it
/// and as `--set` takes it.
struct ConfigPath: Equatable, CustomStringConvertible {
    /// One step: a mapping key or a list index.
    enum Component: Equatable {
        case key(String)
        case index(Int)
    }

    var components: [Component]

    init(_ components: [Component] = []) { self.components = components }

    /// `a.b[2].c`.
    var description: String {
        var s = ""
        for c in components {
            switch c {
            case let .key(k): s += s.isEmpty ? k : "." + k
            case let .index(i): s += "[\(i)]"
            }
        }
        return s
    }

    /// The path with one more step.
    func appending(_ c: Component) -> ConfigPath { ConfigPath(components + [c]) }

    /// The path of a Codable coding path, reading each step against the document so that a numeric
    /// mapping key (`"0"`) is not mistaken for a list index.
    init(codingPath: [CodingKey], in root: ConfigNode?) {
        var comps: [Component] = []
        var node = root
        for k in codingPath {
            let c: Component
            switch node?.value {
            case .mapping?: c = .key(k.stringValue)
            case .sequence?: c = k.intValue.map(Component.index) ?? .key(k.stringValue)
            default: c = k.intValue.map(Component.index) ?? .key(k.stringValue)
            }
            comps.append(c)
            node = node?.node(at: [c])
        }
        self.init(comps)
    }

    /// Parses `a.b[2].c` (keys are letters, digits, `_` and `-`; indices may be negative).
    static func parse(_ text: String) -> ConfigPath? {
        var comps: [Component] = []
        var i = text.startIndex
        var expectKey = true
        while i < text.endIndex {
            let ch = text[i]
            if ch == "[" {
                guard let close = text[i...].firstIndex(of: "]"), let n = Int(text[text.index(after: i)..<close]) else { return nil }
                guard !comps.isEmpty else { return nil }
                comps.append(.index(n))
                i = text.index(after: close)
                expectKey = false
            } else if ch == "." {
                guard !comps.isEmpty, !expectKey else { return nil }
                i = text.index(after: i)
                expectKey = true
            } else {
                guard expectKey else { return nil }
                var j = i
                while j < text.endIndex, text[j].isLetter || text[j].isNumber || text[j] == "_" || text[j] == "-" { j = text.index(after: j) }
                guard j > i else { return nil }
                comps.append(.key(String(text[i..<j])))
                i = j
                expectKey = false
            }
        }
        guard !comps.isEmpty, !expectKey else { return nil }
        return ConfigPath(comps)
    }
}
