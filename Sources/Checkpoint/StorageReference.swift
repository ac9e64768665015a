/// A persistent id `('storage', <storage type>, '<key>', '<location>', numel)`.
struct StorageReference {
    /// Record name under `data/`.
    let key: String
    /// The storage type token: typed (element dtype known) or untyped (`numel` counts bytes).
    let dtype: TorchDType?
    /// Where it was saved from (`cpu`, `cuda:0`, …); every location loads onto the CPU.
    let location: String
    /// Elements (typed) or bytes (untyped) in the storage.
    let numel: Int
}
