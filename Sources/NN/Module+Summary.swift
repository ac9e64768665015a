import TensorCore

/// PyTorch's `repr(module)`: the type name, its `extra_repr`, and each child indented under `(key): `.
extension Module: CustomStringConvertible {
    /// A PyTorch-style tree, e.g. `Sequential(\n  (0): Linear(in_features=4, out_features=2, bias=True)\n)`.
    public var description: String {
        let extra = extraDescription
        let extraLines = extra.isEmpty ? [] : extra.components(separatedBy: "\n")
        // Like PyTorch's `_addindent`: continuation lines of a child move right by two spaces.
        let childLines = namedChildren().map { key, child in
            "(\(key)): " + child.description.components(separatedBy: "\n").joined(separator: "\n  ")
        }
        let lines = extraLines + childLines
        var s = typeName + "("
        if extraLines.count == 1 && childLines.isEmpty {
            s += extraLines[0]
        } else if !lines.isEmpty {
            s += "\n  " + lines.joined(separator: "\n  ") + "\n"
        }
        return s + ")"
    }

    /// Number of parameter elements that receive gradients.
    public var trainableParameterCount: Int {
        parameters().filter { $0.requiresGrad }.reduce(0) { $0 + $1.value.count }
    }

    /// The `description` tree followed by total, trainable and frozen parameter counts.
    public func summary() -> String {
        let total = parameterCount, trainable = trainableParameterCount
        return description + "\n"
            + "Total params: \(PyRepr.grouped(total))\n"
            + "Trainable params: \(PyRepr.grouped(trainable))\n"
            + "Non-trainable params: \(PyRepr.grouped(total - trainable))"
    }
}

/// Python `repr` spellings used by the layers' `extraDescription`.
enum PyRepr {
    /// `True` / `False`.
    static func bool(_ b: Bool) -> String { b ? "True" : "False" }

    /// Python's shortest round-trip float repr (`1e-05`, `0.1`, `1.0`); Swift's matches for Float values.
    static func float(_ x: Float) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return x.description
    }

    /// `(a, b)`.
    static func tuple(_ t: (Int, Int)) -> String { "(\(t.0), \(t.1))" }

    /// A Python tuple of ints, with the trailing comma of a 1-tuple: `(6,)`, `(5, 6)`.
    static func tuple(_ xs: [Int]) -> String {
        xs.count == 1 ? "(\(xs[0]),)" : "(" + xs.map(String.init).joined(separator: ", ") + ")"
    }

    /// An int with thousands separators, `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }
}
