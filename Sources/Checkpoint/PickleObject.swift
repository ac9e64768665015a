import TensorCore

/// A value on the pickle machine's stack or in its memo, before conversion to `CheckpointValue`.
///
/// Containers are boxes (reference types) because pickles mutate them after memoizing them
/// (EMPTY_LIST, BINPUT, …, APPENDS) and may reference one object many times; tuples are boxes too
/// so that a structure shared through the memo converts once, keeping conversion linear in the
/// size of the pickle.
enum PickleObject {
    /// None, bool, int, float, str, bytes or a rebuilt tensor.
    case scalar(CheckpointValue)
    /// A list, tuple, set, dict or OrderedDict.
    case box(PickleBox)
    /// An allowlisted global (with its `module.name` for messages).
    case global(PickleGlobal, String)
    /// A persistent storage reference (the result of BINPERSID).
    case storage(StorageReference)

    /// Nesting depth as far as known (0 for leaves).
    var depth: Int {
        if case .box(let b) = self { return b.depth }
        return 0
    }

    /// A Python-like type name, for error messages.
    var kindName: String {
        switch self {
        case .scalar(let v): return v.kindName
        case .box(let b): return b.kind.rawValue
        case .global(_, let name): return "global '\(name)'"
        case .storage: return "storage reference"
        }
    }
}
