/// Bounds on a config document, checked before anything is built from it.
///
/// The file size is checked before parsing; depth and value count while the event stream is read,
/// so a hostile file costs at most one linear pass. Anchors and aliases are rejected outright (see
/// `YAMLReader`), so no value is ever expanded and a "billion laughs" file fails at its first `&`.
public struct ConfigLimits: Sendable, Equatable {
    /// Largest document in bytes (UTF-8).
    public var maxBytes: Int
    /// Deepest nesting of lists and mappings.
    public var maxDepth: Int
    /// Most scalars, lists and mappings in one document.
    public var maxNodes: Int

    /// Limits; the defaults are far above any real run config (which is a few KB, depth < 8).
    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 32, maxNodes: Int = 100_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    /// 1 MiB, depth 32, 100 000 values.
    public static let `default` = ConfigLimits()
}
