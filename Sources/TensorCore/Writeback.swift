import Foundation

/// Asks Linux to start writing a file's finished pieces to disk while more is being written
/// (`sync_file_range(SYNC_FILE_RANGE_WRITE)`), so the fsync at the end finds most of the file
/// already on its way instead of starting all the disk I/O then. Advisory: a failed request only
/// loses the head start; fsync still reports real errors.
public struct Writeback: Sendable {
    /// Bytes between writeback requests.
    public static let piece = 8 << 20
    /// Whether the system provides `sync_file_range`.
    public static var isAvailable: Bool { syncFileRange != nil }
    private var kicked = 0

    /// Starts with nothing requested.
    public init() {}

    /// Called after the file holds `written` bytes: requests writeback of what is not yet requested
    /// once that reaches `piece`.
    public mutating func advance(_ fd: Int32, written: Int) {
        guard written - kicked >= Writeback.piece, let request = Writeback.syncFileRange else { return }
        _ = request(fd, Int64(kicked), Int64(written - kicked), 2 /* SYNC_FILE_RANGE_WRITE */)
        kicked = written
    }

    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32

    /// Linux's `sync_file_range`, looked up at run time (the Swift Glibc module does not declare it).
    private static let syncFileRange: SyncFileRange? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(sym, to: SyncFileRange.self)
    }()
}
