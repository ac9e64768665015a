import Foundation
import XCTest
import TensorCore
import NN
import Optimizers
import Checkpoint
import CairnTestSupport

/// A fresh empty directory under the system temp dir, removed when the test ends.
func makeTempDirectory(_ test: XCTestCase, _ label: String = #function) throws -> URL {
    let clean = label.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("cairn-ckpt-\(clean)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A small model with parameters, BatchNorm buffers (one int64) and a Dropout layer.
func makeModel(seed: UInt64, hidden: Int = 8, out: Int = 3) -> Sequential {
    var rng = RandomGenerator(seed: seed)
    return Sequential(Linear(4, hidden, rng: &rng), BatchNorm1d(hidden), ReLU(), Dropout(p: 0.25, rng: &rng),
                      Linear(hidden, out, rng: &rng))
}

/// One MSE training step on fixed data derived from `step`.
func trainStep(_ model: Module, _ optimizer: Optimizer, step: Int, out: Int = 3) {
    let x = testTensor([5, 4], seed: UInt64(100 + step))
    let y = testTensor([5, out], seed: UInt64(200 + step))
    optimizer.zeroGrad()
    let loss = MSELoss()(model(x), y)
    loss.backward()
    optimizer.step()
}

/// Bit patterns of a tensor's values in its own dtype, for bit-exact comparisons.
func bits(_ t: Tensor) -> [UInt64] {
    switch t.dtype {
    case .float32: return t.toArray().map { UInt64($0.bitPattern) }
    case .int64: return t.toInt64Array().map { UInt64(bitPattern: $0) }
    default: return t.to(.float64).toArray().map { UInt64($0.bitPattern) }
    }
}

/// Asserts two state dicts have the same keys in the same order, dtypes, shapes and bit-identical values.
func assertBitExact(_ a: StateDict, _ b: StateDict, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.keys, b.keys, "keys differ", file: file, line: line)
    for (k, t) in a {
        guard let u = b[k] else { continue }
        XCTAssertEqual(t.dtype, u.dtype, "\(k) dtype", file: file, line: line)
        XCTAssertEqual(t.shape, u.shape, "\(k) shape", file: file, line: line)
        XCTAssertEqual(bits(t), bits(u), "\(k) values", file: file, line: line)
    }
}

/// Asserts two optimizer states match by name: steps, buffer order and bit-identical buffers.
func assertSameOptimizerState(_ a: [String: OptimizerState], _ b: [String: OptimizerState],
                              file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(Set(a.keys), Set(b.keys), file: file, line: line)
    for (name, s) in a {
        guard let u = b[name] else { continue }
        XCTAssertEqual(s.step, u.step, "\(name).step", file: file, line: line)
        XCTAssertEqual(s.keys, u.keys, "\(name) buffers", file: file, line: line)
        for (k, t) in s.tensors { XCTAssertEqual(bits(t), u[k].map(bits), "\(name).\(k)", file: file, line: line) }
    }
}
