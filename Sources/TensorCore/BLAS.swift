import CBLAS

/// Settings of the OpenBLAS library that runs Cairn's matrix products.
public enum BLAS {
    /// Sets how many threads OpenBLAS uses (the benchmarks pin it to match PyTorch's count).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(n, 1))) }

    /// Threads OpenBLAS currently uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }
}
