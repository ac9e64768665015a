/// Why optimizer or scheduler state could not be loaded; every message names the key, index or group.
public enum StateLoadError: Error, Equatable, CustomStringConvertible {
    /// A required key is absent.
    case missingKey(context: String, key: String)
    /// A key holds a value of the wrong kind.
    case wrongType(context: String, key: String, expected: String, found: String)
    /// A key holds a value outside what the loader accepts.
    case invalidValue(context: String, key: String, reason: String)
    /// The saved state has a different number of parameter groups.
    case groupCountMismatch(expected: Int, found: Int)
    /// A saved parameter group holds a different number of parameters.
    case groupSizeMismatch(group: Int, expected: Int, found: Int)
    /// A saved state tensor does not have its parameter's shape.
    case shapeMismatch(parameter: String, key: String, expected: [Int], found: [Int])
    /// Matching by name needs a name for every saved parameter index.
    case missingName(index: Int)

    /// A readable message.
    public var description: String {
        switch self {
        case .missingKey(let c, let k): return "\(c): missing key '\(k)'"
        case .wrongType(let c, let k, let e, let f): return "\(c): key '\(k)' should be \(e), found \(f)"
        case .invalidValue(let c, let k, let r): return "\(c): key '\(k)': \(r)"
        case .groupCountMismatch(let e, let f):
            return "optimizer state: loaded state dict has \(f) parameter groups, the optimizer has \(e)"
        case .groupSizeMismatch(let g, let e, let f):
            return "optimizer state: param_groups[\(g)] holds \(f) parameters, the optimizer's group holds \(e)"
        case .shapeMismatch(let p, let k, let e, let f):
            return "optimizer state: '\(k)' for parameter '\(p)' has shape \(f), the parameter has shape \(e)"
        case .missingName(let i):
            return "optimizer state: no parameter name for state index \(i) (needed to match by name)"
        }
    }
}
