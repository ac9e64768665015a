import Foundation

/// Raw, 64-byte aligned bytes of one dtype, shared by tensor views; may wrap a memory-mapped file.
public final class Storage: @unchecked Sendable {
    /// Start of the bytes.
    public let base: UnsafeMutableRawPointer
    /// Number of bytes owned.
    public let byteCount: Int
    /// Element type of the bytes.
    public let dtype: DType
    /// True when the bytes belong to someone else (e.g. a read-only mmap); writers must copy first.
    public let isReadOnly: Bool
    private let release: (() -> Void)?

    /// Allocates zero-filled storage for `count` elements.
    public init(dtype: DType, count: Int) {
        precondition(count >= 0, "Storage: negative element count \(count)")
        let bytes = max(count * dtype.byteSize, 1)
        base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        byteCount = count * dtype.byteSize
        self.dtype = dtype
        isReadOnly = false
        release = nil
    }

    /// Allocates storage without zeroing it; the caller writes every element.
    public init(uninitialized dtype: DType, count: Int) {
        precondition(count >= 0, "Storage: negative element count \(count)")
        let bytes = max(count * dtype.byteSize, 1)
        base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        byteCount = count * dtype.byteSize
        self.dtype = dtype
        isReadOnly = false
        release = nil
    }

    /// Wraps foreign bytes (e.g. an mmap region) without copying; `release` runs when the last view dies.
    public init(borrowing base: UnsafeMutableRawPointer, byteCount: Int, dtype: DType,
                readOnly: Bool, release: (() -> Void)?) {
        self.base = base
        self.byteCount = byteCount
        self.dtype = dtype
        self.isReadOnly = readOnly
        self.release = release
    }

    /// Copies raw bytes into new storage.
    public convenience init(dtype: DType, bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count % dtype.byteSize == 0, "Storage: \(bytes.count) bytes is not a whole number of \(dtype)")
        self.init(uninitialized: dtype, count: bytes.count / dtype.byteSize)
        if let src = bytes.baseAddress, bytes.count > 0 { base.copyMemory(from: src, byteCount: bytes.count) }
    }

    /// Number of elements.
    public var count: Int { byteCount / dtype.byteSize }

    /// Deep copy with private, writable bytes.
    public func copy() -> Storage {
        let s = Storage(uninitialized: dtype, count: count)
        if byteCount > 0 { s.base.copyMemory(from: base, byteCount: byteCount) }
        return s
    }

    deinit {
        if let release { release() } else { base.deallocate() }
    }
}
