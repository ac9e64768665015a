import XCTest
import TensorCore

/// Asserts two float arrays agree element-wise within `rtol`·|expected| + `atol`, naming the first bad index.
public func assertClose(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(message()): count \(actual.count) != expected \(expected.count)", file: file, line: line)
        return
    }
    var worst = -1
    var worstErr: Float = 0
    for i in 0..<actual.count {
        let a = actual[i], e = expected[i]
        if a.isNaN && e.isNaN { continue }
        if a == e { continue }
        let err = Swift.abs(a - e) - (rtol * Swift.abs(e) + atol)
        if !(err <= 0) && (worst < 0 || err > worstErr || err.isNaN) { worst = i; worstErr = err }
    }
    if worst >= 0 {
        XCTFail("\(message()): element \(worst) is \(actual[worst]), expected \(expected[worst]) (rtol \(rtol), atol \(atol))",
                file: file, line: line)
    }
}

/// Asserts two tensors have equal shapes and close float values.
public func assertClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, expected.shape, "\(message()): shape", file: file, line: line)
    if actual.shape == expected.shape {
        assertClose(actual.toArray(), expected.toArray(), rtol: rtol, atol: atol, message(), file: file, line: line)
    }
}

/// Compares autodiff gradients of `f` (a scalar function of `inputs`) with central finite differences.
///
/// Each input is perturbed element by element by ±`eps`; the loss is evaluated in float32, so the
/// tolerance is loose (default 2e-2 relative + 2e-3 absolute) but catches wrong rules immediately.
public func gradCheck(_ inputs: [Tensor], eps: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 2e-3,
                      _ name: String = "", file: StaticString = #filePath, line: UInt = #line,
                      _ f: ([Tensor]) -> Tensor) {
    var leaves = inputs.map { t -> Tensor in var l = t.detach(); l.requiresGrad = true; return l }
    let out = f(leaves)
    XCTAssertEqual(out.count, 1, "\(name): gradCheck needs a scalar function", file: file, line: line)
    out.backward()
    for k in 0..<leaves.count {
        let analytic = leaves[k].grad?.toArray() ?? [Float](repeating: 0, count: leaves[k].count)
        var numeric = [Float](repeating: 0, count: leaves[k].count)
        let base = leaves[k].detach().toArray()
        for i in 0..<base.count {
            var plus = base, minus = base
            plus[i] += eps
            minus[i] -= eps
            var args = leaves.map { $0.detach() }
            args[k] = Tensor(plus, shape: leaves[k].shape)
            let fp = GradMode.noGrad { Double(f(args).item) }
            args[k] = Tensor(minus, shape: leaves[k].shape)
            let fm = GradMode.noGrad { Double(f(args).item) }
            numeric[i] = Float((fp - fm) / Double(2 * eps))
        }
        assertClose(analytic, numeric, rtol: rtol, atol: atol, "\(name) gradient of input \(k)", file: file, line: line)
        leaves[k].requiresGrad = true
    }
}

/// Deterministic pseudo-random values in [-1, 1) for tests (no dependency on the RNG under test).
public func testValues(_ n: Int, seed: UInt64 = 1) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0..<n).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Float(s >> 40) / Float(1 << 24) * 2 - 1
    }
}

/// A float32 tensor of `testValues`.
public func testTensor(_ shape: [Int], seed: UInt64 = 1, scale: Float = 1) -> Tensor {
    Tensor(testValues(shape.reduce(1, *), seed: seed).map { $0 * scale }, shape: shape)
}
