import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore
import NN

/// Which problems make a model load fail, in the manner of mlx-swift's `update(parameters:verify:)`.
public struct LoadChecks: OptionSet, Sendable, Hashable {
    /// The raw bits.
    public let rawValue: Int
    /// Makes a set from raw bits.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Every (selected) checkpoint key must be used by the model (PyTorch's "unexpected keys").
    public static let noUnusedKeys = LoadChecks(rawValue: 1 << 0)
    /// Every (selected) model key must be set from the checkpoint (PyTorch's "missing keys").
    public static let allModelKeysSet = LoadChecks(rawValue: 1 << 1)
    /// A dtype difference is an error instead of a conversion to the model's dtype.
    public static let noDTypeConversion = LoadChecks(rawValue: 1 << 2)

    /// Missing and unused keys are errors (dtype conversion stays allowed, as in PyTorch's strict load).
    public static let all: LoadChecks = [.noUnusedKeys, .allModelKeysSet]
    /// Nothing is checked.
    public static let none: LoadChecks = []
}

/// How checkpoint keys are matched to a model and what happens when they do not fit.
///
/// Order of operations: each checkpoint key is rewritten by `remap` (in order), then only keys
/// matching a `select` glob (when any are given) take part, on both sides; shape and dtype are then
/// compared per key. Nothing in the model changes unless the whole load succeeds.
public struct LoadPolicy: Sendable {
    /// What to do with a key whose shapes differ.
    public enum ShapeMismatchAction: String, Sendable, Codable {
        /// Fail the load.
        case error
        /// Leave the model's tensor as it is.
        case skip
        /// Give the model's tensor a fresh default initialization (drawn from `reinitSeed`).
        case reinitialize
    }

    /// One rewrite of checkpoint keys into model keys.
    public enum KeyRemap: Sendable, Equatable {
        /// Removes a leading prefix where present (e.g. `module.` from DataParallel checkpoints).
        case stripPrefix(String)
        /// Prepends a prefix.
        case addPrefix(String)
        /// Renames whole keys exactly (`old → new`).
        case rename([String: String])
        /// Replaces every match of an ICU regular expression; `template` may use `$1`, `$2`, ….
        case regex(pattern: String, template: String)
    }

    /// Problems that fail the load.
    public var verify: LoadChecks
    /// What a shape mismatch does.
    public var onShapeMismatch: ShapeMismatchAction
    /// Rewrites applied to checkpoint keys, in order.
    public var remap: [KeyRemap]
    /// Glob patterns (`*`, `?`, `[…]`) over model-side keys; when non-empty only matching keys load.
    public var select: [String]
    /// Seed of the generator used by `.reinitialize`.
    public var reinitSeed: UInt64

    /// A policy; the defaults are strict.
    public init(verify: LoadChecks = .all, onShapeMismatch: ShapeMismatchAction = .error, remap: [KeyRemap] = [],
                select: [String] = [], reinitSeed: UInt64 = 0) {
        self.verify = verify
        self.onShapeMismatch = onShapeMismatch
        self.remap = remap
        self.select = select
        self.reinitSeed = reinitSeed
    }

    /// PyTorch's `strict=True`: missing, unused and mismatched keys throw, listing the whole report.
    public static let strict = LoadPolicy()
    /// PyTorch's `strict=False`: load what fits, skip mismatched shapes, report the rest.
    public static let nonStrict = LoadPolicy(verify: .none, onShapeMismatch: .skip)

    /// Whether dtype conversion (f16/bf16/f64/int → the model's dtype) is allowed.
    public var allowsDTypeConversion: Bool { !verify.contains(.noDTypeConversion) }

    /// A copy with `remap` extended.
    public func remapping(_ rules: KeyRemap...) -> LoadPolicy {
        var p = self
        p.remap += rules
        return p
    }

    /// A copy loading only keys matching one of `globs`.
    public func selecting(_ globs: String...) -> LoadPolicy {
        var p = self
        p.select += globs
        return p
    }

    /// A copy with another shape-mismatch action.
    public func onShapeMismatch(_ action: ShapeMismatchAction) -> LoadPolicy {
        var p = self
        p.onShapeMismatch = action
        return p
    }

    /// Applies `remap` to a checkpoint key; throws `LoadError.invalidPattern` for a bad regex.
    public func mapKey(_ key: String) throws -> String {
        var k = key
        for rule in remap {
            switch rule {
            case .stripPrefix(let p): if k.hasPrefix(p) { k.removeFirst(p.count) }
            case .addPrefix(let p): k = p + k
            case .rename(let map): if let n = map[k] { k = n }
            case let .regex(pattern, template):
                let re: NSRegularExpression
                do { re = try NSRegularExpression(pattern: pattern) } catch {
                    throw LoadError.invalidPattern(pattern: pattern, reason: "\(error)")
                }
                k = re.stringByReplacingMatches(in: k, range: NSRange(k.startIndex..., in: k), withTemplate: template)
            }
        }
        return k
    }

    /// Whether a (model-side) key takes part in the load.
    public func isSelected(_ key: String) -> Bool {
        select.isEmpty || select.contains { Glob.matches($0, key) }
    }
}

/// Shell-style wildcard matching (`fnmatch` without special treatment of `/` or `.`).
enum Glob {
    /// Whether `name` matches `pattern`.
    static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }
}
