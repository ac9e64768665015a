import Foundation
import TensorCore

/// What a model load did, key by key: for the CLI (`rendered()`) and for `--json` (Codable).
public struct LoadReport: Codable, Sendable, Equatable {
    /// A key whose shapes differ.
    public struct ShapeMismatch: Codable, Sendable, Equatable {
        /// Model-side key.
        public var key: String
        /// Shape in the model.
        public var expected: [Int]
        /// Shape in the checkpoint.
        public var found: [Int]
        /// What was done: `error`, `skip` or `reinitialize`.
        public var action: LoadPolicy.ShapeMismatchAction
        /// Makes a record.
        public init(key: String, expected: [Int], found: [Int], action: LoadPolicy.ShapeMismatchAction) {
            self.key = key; self.expected = expected; self.found = found; self.action = action
        }
    }

    /// A key converted from the checkpoint's dtype to the model's (or refused, when not allowed).
    public struct DTypeConversion: Codable, Sendable, Equatable {
        /// Model-side key.
        public var key: String
        /// Dtype in the checkpoint.
        public var from: DType
        /// Dtype in the model.
        public var to: DType
        /// Makes a record.
        public init(key: String, from: DType, to: DType) { self.key = key; self.from = from; self.to = to }
    }

    /// A checkpoint key rewritten by the policy's remap rules.
    public struct Rename: Codable, Sendable, Equatable {
        /// Key in the checkpoint.
        public var from: String
        /// Key in the model.
        public var to: String
        /// Makes a record.
        public init(from: String, to: String) { self.from = from; self.to = to }
    }

    /// Model keys whose values were loaded.
    public var loaded: [String] = []
    /// Selected model keys the checkpoint lacks (left unchanged).
    public var missing: [String] = []
    /// Selected checkpoint keys (after remapping) the model lacks (ignored).
    public var unexpected: [String] = []
    /// Keys whose shapes differ, with what was done.
    public var shapeMismatches: [ShapeMismatch] = []
    /// Dtype conversions made (or, with `noDTypeConversion`, refused).
    public var dtypeConversions: [DTypeConversion] = []
    /// Keys given a fresh initialization because of a shape mismatch.
    public var reinitialized: [String] = []
    /// Checkpoint keys renamed by the policy.
    public var renamed: [Rename] = []
    /// Model keys outside the policy's selection (left unchanged).
    public var notSelected: [String] = []
    /// Checkpoint keys outside the policy's selection (not used).
    public var ignored: [String] = []

    /// An empty report.
    public init() {}

    /// Whether every model key was loaded from a checkpoint key of the same shape and nothing was left over.
    public var isClean: Bool { missing.isEmpty && unexpected.isEmpty && shapeMismatches.isEmpty }

    /// A readable multi-line rendering for the CLI.
    public func rendered() -> String {
        var lines = ["loaded \(loaded.count) key\(loaded.count == 1 ? "" : "s")"]
        func section(_ title: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            lines.append("\(title) (\(items.count)):")
            lines += items.map { "  \($0)" }
        }
        section("missing from checkpoint", missing)
        section("unexpected in checkpoint", unexpected)
        section("shape mismatches", shapeMismatches.map { "\($0.key): model \($0.expected), checkpoint \($0.found) → \($0.action.rawValue)" })
        section("dtype conversions", dtypeConversions.map { "\($0.key): \($0.from.rawValue) → \($0.to.rawValue)" })
        section("re-initialized", reinitialized)
        section("renamed", renamed.map { "\($0.from) → \($0.to)" })
        section("not selected (unchanged)", notSelected)
        section("ignored checkpoint keys", ignored)
        return lines.joined(separator: "\n")
    }

    /// Pretty-printed JSON with sorted keys.
    public func jsonString() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try e.encode(self), as: UTF8.self)
    }
}
