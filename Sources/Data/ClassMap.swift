/// Class name → class index, saved in checkpoints so a model's output units keep their meaning.
///
/// The first scan numbers classes in sorted order (UTF-8 byte order, which is Python's `sorted`
/// on code points), like torchvision's `ImageFolder`. Later class names are only ever *appended*,
/// again in sorted order among themselves: old classes keep their indices when a folder gains new
/// class subfolders. torchvision re-sorts all folders on every construction, so a new folder
/// named e.g. "bird" between "ant" and "cat" would silently renumber "cat" and break a model
/// trained on the old numbering; restoring this map from the checkpoint prevents that.
/// A class whose folder disappears keeps its index (its output unit just gets no examples).
public struct ClassMap: Codable, Equatable, Hashable, Sendable {
    /// Class names; a name's position is its index.
    public private(set) var names: [String]
    private var lookup: [String: Int]

    /// A map numbering `names` in the given order (names must be unique).
    public init(names: [String]) {
        var lookup: [String: Int] = [:]
        for (i, n) in names.enumerated() {
            precondition(lookup[n] == nil, "ClassMap: class \"\(n)\" appears twice")
            lookup[n] = i
        }
        self.names = names
        self.lookup = lookup
    }

    /// A map numbering the distinct `names` in sorted (UTF-8 byte) order, as a fresh scan does.
    public init(sorting names: some Sequence<String>) {
        self.init(names: ClassMap.sorted(Set(names)))
    }

    /// An empty map.
    public init() { self.init(names: []) }

    /// Number of classes.
    public var count: Int { names.count }

    /// Index of class `name`, or nil if it is not in the map.
    public func index(of name: String) -> Int? { lookup[name] }

    /// Name of class `index`.
    public func name(at index: Int) -> String {
        precondition(index >= 0 && index < names.count, "ClassMap.name(at:): index \(index) out of range 0..<\(names.count)")
        return names[index]
    }

    /// Appends the names not yet in the map, sorted among themselves, and returns them in that order.
    @discardableResult
    public mutating func add(_ candidates: some Sequence<String>) -> [String] {
        let fresh = ClassMap.sorted(Set(candidates).filter { lookup[$0] == nil })
        for n in fresh {
            lookup[n] = names.count
            names.append(n)
        }
        return fresh
    }

    /// Sorts by UTF-8 bytes (code point order), independent of locale and normalization.
    static func sorted(_ names: some Sequence<String>) -> [String] {
        names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private enum CodingKeys: String, CodingKey { case classes }

    /// Decodes `{"classes": [names in index order]}`, rejecting duplicates.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let names = try c.decode([String].self, forKey: .classes)
        var seen = Set<String>()
        for n in names where !seen.insert(n).inserted {
            throw DecodingError.dataCorruptedError(forKey: .classes, in: c,
                                                   debugDescription: "class \"\(n)\" appears twice in the class map")
        }
        self.init(names: names)
    }

    /// Encodes `{"classes": [names in index order]}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(names, forKey: .classes)
    }

    /// Compares the names in order.
    public static func == (a: ClassMap, b: ClassMap) -> Bool { a.names == b.names }

    /// Hashes the names in order.
    public func hash(into hasher: inout Hasher) { hasher.combine(names) }
}
