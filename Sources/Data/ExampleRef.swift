/// One example of a loader's batch: which source dataset and which index in it.
public struct ExampleRef: Hashable, Sendable, Codable {
    /// 0 for the loader's (new) dataset, 1 for the old (rehearsal) dataset.
    public var source: Int
    /// Index within that dataset.
    public var index: Int

    /// Example `index` of source `source`.
    public init(source: Int = 0, index: Int) {
        self.source = source
        self.index = index
    }
}
