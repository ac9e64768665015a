import Foundation

/// Appends metrics to `logs/metrics.jsonl` (one JSON object a line, every key) and `logs/metrics.csv`
/// (fixed columns) in a run directory.
///
/// Resume-safe: the trainer stores `recordCount` in each checkpoint, and a resumed logger cuts both
/// files back to that many records, dropping whatever an interrupted process wrote after its last
/// checkpoint (including a torn last line). So the logs of an interrupted and resumed run equal those
/// of an uninterrupted one. Nothing time-dependent is logged, which keeps them comparable.
public final class MetricsLogger {
    /// The columns of the CSV file; other keys only go to the JSONL file.
    public static let csvColumns = ["kind", "step", "epoch", "loss", "lr", "grad_norm", "val_loss", "val_accuracy"]
    /// The JSONL file.
    public let jsonlURL: URL
    /// The CSV file.
    public let csvURL: URL
    /// Records written so far (lines of the JSONL file; the CSV has one more, its header).
    public private(set) var recordCount: Int
    private let jsonl: FileHandle
    private let csv: FileHandle

    /// Opens the logs in `<runDirectory>/logs`, keeping only the first `keepRecords` records
    /// (0 starts fresh; nil keeps everything).
    public init(runDirectory: URL, keepRecords: Int?) throws {
        let dir = runDirectory.appendingPathComponent("logs", isDirectory: true)
        jsonlURL = dir.appendingPathComponent("metrics.jsonl")
        csvURL = dir.appendingPathComponent("metrics.csv")
        let fm = FileManager.default
        do { try fm.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw TrainerError.io(path: dir.path, reason: "cannot create the log directory: \(error)")
        }
        for url in [jsonlURL, csvURL] where !fm.fileExists(atPath: url.path) {
            guard fm.createFile(atPath: url.path, contents: nil) else {
                throw TrainerError.io(path: url.path, reason: "cannot create the file")
            }
        }
        let existing = try MetricsLogger.cut(jsonlURL, toLines: keepRecords)
        _ = try MetricsLogger.cut(csvURL, toLines: keepRecords.map { $0 + 1 })
        recordCount = existing
        do {
            jsonl = try FileHandle(forWritingTo: jsonlURL)
            csv = try FileHandle(forWritingTo: csvURL)
            jsonl.seekToEndOfFile()
            csv.seekToEndOfFile()
        } catch {
            throw TrainerError.io(path: dir.path, reason: "cannot open the logs for writing: \(error)")
        }
        if csv.offsetInFile == 0 {
            csv.write(Data((MetricsLogger.csvColumns.joined(separator: ",") + "\n").utf8))
        }
    }

    deinit {
        try? jsonl.close()
        try? csv.close()
    }

    /// Appends one record; `values` keep their order in the JSONL line.
    public func log(kind: String, step: Int, epoch: Int, values: [(String, Double)]) {
        var json = "{\"kind\":\"\(kind)\",\"step\":\(step),\"epoch\":\(epoch)"
        for (k, v) in values { json += ",\"\(k)\":" + MetricsLogger.jsonNumber(v) }
        json += "}\n"
        let dict = Dictionary(values, uniquingKeysWith: { a, _ in a })
        var row = [kind, "\(step)", "\(epoch)"]
        for c in MetricsLogger.csvColumns.dropFirst(3) { row.append(dict[c].map(MetricsLogger.number) ?? "") }
        jsonl.write(Data(json.utf8))
        csv.write(Data((row.joined(separator: ",") + "\n").utf8))
        recordCount += 1
    }

    /// Shortest round-trip text; floats that are exactly a Float print as that Float.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        let f = Float(v)
        return Double(f) == v ? f.description : v.description
    }

    /// JSON has no NaN or infinity; they are written as null.
    static func jsonNumber(_ v: Double) -> String { v.isFinite ? number(v) : "null" }

    /// Cuts `url` after its first `lines` complete lines (nil: only a torn last line); returns the lines kept.
    static func cut(_ url: URL, toLines lines: Int?) throws -> Int {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TrainerError.io(path: url.path, reason: "cannot read: \(error)")
        }
        var kept = 0, offset = 0
        for (i, byte) in data.enumerated() where byte == UInt8(ascii: "\n") {
            if let lines, kept == lines { break }
            kept += 1
            offset = i + 1
        }
        if offset < data.count {
            do {
                let h = try FileHandle(forWritingTo: url)
                defer { try? h.close() }
                try h.truncate(atOffset: UInt64(offset))
            } catch {
                throw TrainerError.io(path: url.path, reason: "cannot truncate to \(offset) bytes: \(error)")
            }
        }
        return kept
    }
}
