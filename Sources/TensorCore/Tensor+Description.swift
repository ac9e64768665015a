import Foundation

// PyTorch-style printing (`torch._tensor_str` with default print options: precision 4,
// threshold 1000, edgeitems 3, linewidth 80), so a value printed by Cairn reads the same as the
// value printed by PyTorch: `tensor([[1., 2.],\n        [3., 4.]])`.

extension Tensor: CustomStringConvertible {
    /// PyTorch's `repr`: values, then `size=`/`dtype=`/`requires_grad=` suffixes where PyTorch shows them.
    public var description: String {
        let prefix = "tensor("
        var suffixes: [String] = []
        let body: String
        if count == 0 {
            if rank != 1 { suffixes.append("size=(" + shape.map(String.init).joined(separator: ", ") + ")") }
            // No element shows the dtype of an empty tensor, so everything but float32 is named.
            if dtype != .float32 { suffixes.append("dtype=torch.\(dtype.torchName)") }
            body = "[]"
        } else {
            if ![DType.float32, .int64, .bool].contains(dtype) { suffixes.append("dtype=torch.\(dtype.torchName)") }
            let printer = TensorPrinter(self)
            body = printer.render(indent: prefix.count)
        }
        if requiresGrad {
            suffixes.append(gradNode?.isLeaf == true ? "requires_grad=True" : "grad_fn=<\(gradNode?.op ?? "")>")
        }
        return prefix + body + suffixes.map { ", " + $0 }.joined() + ")"
    }
}

/// Formats one tensor's elements the way PyTorch's `_Formatter` and `_tensor_str_with_formatter` do.
struct TensorPrinter {
    static let precision = 4, threshold = 1000, edgeItems = 3, lineWidth = 80

    private let shape: [Int]
    private let strides: [Int]
    private let kind: DType
    private let floats: [Double]
    private let ints: [Int64]
    private let summarize: Bool
    private var intMode = true
    private var sciMode = false
    private var maxWidth = 1

    init(_ t: Tensor) {
        shape = t.shape
        strides = Layout.contiguousStrides(t.shape)
        kind = t.dtype
        summarize = t.count > TensorPrinter.threshold
        let c = t.contiguousCopy()
        if t.dtype.isFloatingPoint {
            floats = (0..<c.count).map { DTypeCodec.readDouble(c.storage.base, $0, c.dtype) }
            ints = []
        } else {
            ints = (0..<c.count).map { DTypeCodec.readInt(c.storage.base, $0, c.dtype) }
            floats = []
        }
        measure()
    }

    /// Flat indices of the elements that are printed (all, or the edge items of each summarized dim).
    private func shownIndices() -> [Int] {
        var out: [Int] = []
        func visit(_ d: Int, _ base: Int) {
            if d == shape.count { out.append(base); return }
            for i in visibleRange(shape[d]) { visit(d + 1, base + i * strides[d]) }
        }
        visit(0, 0)
        return out
    }

    private func visibleRange(_ n: Int) -> [Int] {
        let e = TensorPrinter.edgeItems
        return summarize && n > 2 * e ? Array(0..<e) + Array((n - e)..<n) : Array(0..<n)
    }

    /// Chooses integer/fixed/scientific mode and the column width from the printed elements.
    private mutating func measure() {
        let shown = shownIndices()
        if !kind.isFloatingPoint {
            for i in shown { maxWidth = Swift.max(maxWidth, elementText(i).count) }
            return
        }
        let vals = shown.map { floats[$0] }.filter { $0.isFinite && $0 != 0 }
        if vals.isEmpty { return }
        let absVals = vals.map { Swift.abs($0) }
        let lo = absVals.min()!, hi = absVals.max()!
        intMode = vals.allSatisfy { $0 == $0.rounded(.up) }
        let p = TensorPrinter.precision
        if intMode {
            if hi / lo > 1000 || hi > 1e8 {
                sciMode = true
                for v in vals { maxWidth = Swift.max(maxWidth, String(format: "%.\(p)e", v).count) }
            } else {
                for v in vals { maxWidth = Swift.max(maxWidth, String(format: "%.0f", v).count + 1) }
            }
        } else if hi / lo > 1000 || hi > 1e8 || lo < 1e-4 {
            sciMode = true
            for v in vals { maxWidth = Swift.max(maxWidth, String(format: "%.\(p)e", v).count) }
        } else {
            for v in vals { maxWidth = Swift.max(maxWidth, String(format: "%.\(p)f", v).count) }
        }
    }

    /// One element, unpadded.
    private func elementText(_ i: Int) -> String {
        switch kind {
        case .bool: return ints[i] != 0 ? "True" : "False"
        case _ where !kind.isFloatingPoint: return String(ints[i])
        default: break
        }
        let v = floats[i]
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        if sciMode { return String(format: "%.\(TensorPrinter.precision)e", v) }
        if intMode { return String(format: "%.0f", v) + "." }
        return String(format: "%.\(TensorPrinter.precision)f", v)
    }

    /// One element, right-aligned to the common width.
    private func formatted(_ i: Int) -> String {
        let s = elementText(i)
        return String(repeating: " ", count: Swift.max(maxWidth - s.count, 0)) + s
    }

    /// The bracketed text of the whole tensor, continuation lines indented by `indent` columns.
    func render(indent: Int) -> String { render(dim: 0, base: 0, indent: indent) }

    private func render(dim d: Int, base: Int, indent: Int) -> String {
        let r = shape.count
        if r == 0 { return formatted(0) }
        let n = shape[d]
        let e = TensorPrinter.edgeItems
        let elided = summarize && n > 2 * e
        if d == r - 1 {
            var items = elided ? (0..<e).map { formatted(base + $0 * strides[d]) } + [" ..."]
                + ((n - e)..<n).map { formatted(base + $0 * strides[d]) }
                : (0..<n).map { formatted(base + $0 * strides[d]) }
            let perLine = Swift.max(1, (TensorPrinter.lineWidth - indent) / (maxWidth + 2))
            var lines: [String] = []
            while !items.isEmpty {
                lines.append(items.prefix(perLine).joined(separator: ", "))
                items.removeFirst(Swift.min(perLine, items.count))
            }
            return "[" + lines.joined(separator: ",\n" + String(repeating: " ", count: indent + 1)) + "]"
        }
        let sub = { (i: Int) in self.render(dim: d + 1, base: base + i * self.strides[d], indent: indent + 1) }
        let slices = elided ? (0..<e).map(sub) + ["..."] + ((n - e)..<n).map(sub) : (0..<n).map(sub)
        let sep = "," + String(repeating: "\n", count: r - d - 1) + String(repeating: " ", count: indent + 1)
        return "[" + slices.joined(separator: sep) + "]"
    }
}
