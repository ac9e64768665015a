import CKernels

/// Process-wide memory settings for training loops, applied by the `cairn` command at start-up.
///
/// Every op allocates its result, so a training step frees and re-allocates the same few
/// megabyte-sized buffers each time. glibc serves large blocks with fresh `mmap`s (or trims the
/// heap after a free), and every fresh page then faults and is zeroed by the kernel: measured as
/// several percent of a CNN step. Raising the mmap and trim thresholds keeps freed buffers in the
/// heap for the next step, the way PyTorch users reach for jemalloc. A library embedding Cairn
/// decides for itself whether to call this; nothing calls it implicitly.
public enum Allocator {
    /// Keeps freed blocks up to 32 MiB (glibc's largest mmap threshold) in the heap and trims
    /// the heap only when more than `trimBytes` are free at its top. Returns false off glibc.
    @discardableResult
    public static func keepFreedBuffers(trimBytes: Int = 1 << 30) -> Bool {
        cairn_keep_freed_buffers(32 << 20, Swift.min(trimBytes, Int(Int32.max))) == 1
    }
}
