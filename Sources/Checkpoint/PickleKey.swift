/// A hashable form of a dict key, following Python equality (`True == 1 == 1.0`).
indirect enum PickleKey: Hashable {
    case none
    case int(Int64)
    case double(UInt64)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleKey])

    /// The key for `object`, or nil when Python could not hash it (or Cairn does not support it as a key).
    init?(_ object: PickleObject, depth: Int = 0) {
        switch object {
        case .scalar(let v):
            switch v {
            case .none: self = .none
            case .bool(let b): self = .int(b ? 1 : 0)
            case .int(let i): self = .int(i)
            case .double(let d):
                if d.rounded() == d, abs(d) < 9.2e18 { self = .int(Int64(d)) } else { self = .double(d.bitPattern) }
            case .string(let s): self = .string(s)
            case .bytes(let b): self = .bytes(b)
            default: return nil
            }
        case .box(let b) where b.kind == .tuple && depth < 16:
            var parts: [PickleKey] = []
            for item in b.items {
                guard let k = PickleKey(item, depth: depth + 1) else { return nil }
                parts.append(k)
            }
            self = .tuple(parts)
        default:
            return nil
        }
    }
}
