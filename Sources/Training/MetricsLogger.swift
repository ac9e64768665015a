import Foundation

/// Appends metrics to `logs/metrics.jsonl` (one JSON object a line, every key) and `logs/metrics.csv`
/// (fixed columns) in a run directory, and each value as a TensorBoard scalar to an event file in
/// `<runDirectory>/tb/` (point `tensorboard --logdir` at the run directory or at `tb/`).
///
/// TensorBoard tags are `<kind>/<key>`, one per logged value, at the record's global step: `train/loss`,
/// `train/lr`, `train/grad_norm`, `train/skipped` for training steps and `val/val_loss`,
/// `val/val_accuracy` for validation; so the JSONL key `k` of a record of kind `t` is the tag `t/k`.
/// Values are stored as 32-bit `simple_value`s; NaN and ±inf are written as they are.
///
/// Resume-safe: the trainer stores `recordCount` in each checkpoint, and a resumed logger cuts both
/// files back to that many records, dropping whatever an interrupted process wrote after its last
/// checkpoint (including a torn last line). So the logs of an interrupted and resumed run equal those
/// of an uninterrupted one. Nothing time-dependent goes to these two files, which keeps them comparable.
///
/// Event files are append-only, so TensorBoard gets what it supports instead of a cut: every logger
/// opens a new event file (named to sort after the existing ones, the order TensorBoard reads them)
/// that starts with `file_version` and a `SessionLog` START event. TensorBoard's Python loader ignores
/// a run's first START and, at each later one, drops every point at a step ≥ the START's step — the
/// purge TensorFlow uses for restarts from a checkpoint. A resumed logger puts its START at the lowest
/// step among the records it cut (or just after its last kept record), then rewrites the kept records
/// at or after that step from the JSONL (JSON null comes back as NaN), so the purge removes exactly the
/// orphaned points. TensorBoard's Rust loader ignores SessionLog but replaces a series' points at
/// steps ≥ any new point's step, which catches the orphans the resumed run logs again. A fresh start
/// (`keepRecords == 0`) deletes the old event files in `tb/`, as it empties the other logs; with event
/// files missing, a resumed logger rewrites all kept records. Wall times are the real clock. The
/// tensorboard-events spec does not cover SessionLog; its encoding (`Event` field 7, `status` field 1,
/// START = 1) and the purge rules are TensorBoard 2.x's (`plugin_event_accumulator`, `data/server/reservoir.rs`).
public final class MetricsLogger {
    /// The columns of the CSV file; other keys only go to the JSONL file.
    public static let csvColumns = ["kind", "step", "epoch", "loss", "lr", "grad_norm", "val_loss", "val_accuracy"]
    /// The JSONL file.
    public let jsonlURL: URL
    /// The CSV file.
    public let csvURL: URL
    /// Records written so far (lines of the JSONL file; the CSV has one more, its header).
    public private(set) var recordCount: Int
    /// The TensorBoard event file this logger appends to.
    public var tensorBoardURL: URL { tensorBoard.url }
    /// The first error writing the event file; later scalars are not written (the CSV/JSONL go on).
    public private(set) var tensorBoardError: Error?
    private let jsonl: FileHandle
    private let csv: FileHandle
    private let tensorBoard: TensorBoardWriter

    /// Opens the logs in `<runDirectory>/logs`, keeping only the first `keepRecords` records
    /// (0 starts fresh; nil keeps everything), and a new event file in `<runDirectory>/tb`.
    public init(runDirectory: URL, keepRecords: Int?, host: String = TensorBoardWriter.defaultHost()) throws {
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
        let before = try MetricsLogger.read(jsonlURL)
        let existing = try MetricsLogger.cut(jsonlURL, toLines: keepRecords)
        _ = try MetricsLogger.cut(csvURL, toLines: keepRecords.map { $0 + 1 })
        recordCount = existing
        tensorBoard = try MetricsLogger.openTensorBoard(
            runDirectory.appendingPathComponent("tb", isDirectory: true), host: host,
            fresh: keepRecords == 0, jsonl: before, kept: existing)
        do {
            jsonl = try FileHandle(forWritingTo: jsonlURL)
            csv = try FileHandle(forWritingTo: csvURL)
            jsonl.seekToEndOfFile()
            csv.seekToEndOfFile()
        } catch {
            throw TrainerError.io(path: dir.path, reason: "cannot open the logs for writing: \(error)")
        }
        if csv.offsetInFile == 0 {
            do { try csv.write(contentsOf: Data((MetricsLogger.csvColumns.joined(separator: ",") + "\n").utf8)) } catch {
                throw TrainerError.io(path: csvURL.path, reason: "cannot write the header: \(error.localizedDescription)")
            }
        }
    }

    deinit {
        try? jsonl.close()
        try? csv.close()
    }

    /// Appends one record; `values` keep their order in the JSONL line. Throws `TrainerError.io`
    /// naming the file when the disk is full or the write fails (a resume cuts any torn line).
    public func log(kind: String, step: Int, epoch: Int, values: [(String, Double)]) throws {
        var json = "{\"kind\":\"\(kind)\",\"step\":\(step),\"epoch\":\(epoch)"
        for (k, v) in values { json += ",\"\(k)\":" + MetricsLogger.jsonNumber(v) }
        json += "}\n"
        let dict = Dictionary(values, uniquingKeysWith: { a, _ in a })
        var row = [kind, "\(step)", "\(epoch)"]
        for c in MetricsLogger.csvColumns.dropFirst(3) { row.append(dict[c].map(MetricsLogger.number) ?? "") }
        do { try jsonl.write(contentsOf: Data(json.utf8)) } catch {
            throw TrainerError.io(path: jsonlURL.path, reason: "cannot append to the log: \(error.localizedDescription)")
        }
        do { try csv.write(contentsOf: Data((row.joined(separator: ",") + "\n").utf8)) } catch {
            throw TrainerError.io(path: csvURL.path, reason: "cannot append to the log: \(error.localizedDescription)")
        }
        recordCount += 1
        // After the JSONL line, so an event never exists without its record (a resume keeps records, not events).
        guard tensorBoardError == nil else { return }
        do {
            try tensorBoard.addScalars(values.map { (kind + "/" + $0.0, Float($0.1)) }, step: Int64(step))
        } catch {
            tensorBoardError = error
        }
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

    static func read(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw TrainerError.io(path: url.path, reason: "cannot read: \(error)")
        }
    }

    /// Cuts `url` after its first `lines` complete lines (nil: only a torn last line); returns the lines kept.
    static func cut(_ url: URL, toLines lines: Int?) throws -> Int {
        let data = try read(url)
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

// MARK: - TensorBoard

extension MetricsLogger {
    /// Opens a new event file in `directory` and writes its START event and the kept records TensorBoard
    /// would otherwise lose (see the type's doc); `jsonl` is the JSONL file before it was cut to `kept` lines.
    static func openTensorBoard(_ directory: URL, host: String, fresh: Bool, jsonl: Data,
                                kept: Int) throws -> TensorBoardWriter {
        let fm = FileManager.default
        var hadEventFiles = false
        for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] where name.contains("tfevents") {
            guard fresh else { hadEventFiles = true; continue }
            let url = directory.appendingPathComponent(name)
            do { try fm.removeItem(at: url) } catch {
                throw TrainerError.io(path: url.path, reason: "cannot delete the old event file: \(error)")
            }
        }
        let lines = completeLines(jsonl)
        let keptLines = min(kept, lines.count)
        let steps = lines.map { step(in: jsonl[$0]) }
        // Orphans are the cut records; the START purges from the lowest step among them.
        var startStep: Int64 = 0
        if keptLines > 0 {
            startStep = (steps[..<keptLines].compactMap { $0 }.max() ?? -1) &+ 1
            for s in steps[keptLines...].compactMap({ $0 }) { startStep = min(startStep, s) }
        }
        let writer = try TensorBoardWriter(directory: directory, host: host)
        try writer.addSessionLog(.start, step: startStep)
        for i in 0..<keptLines where !hadEventFiles || (steps[i] ?? startStep) >= startStep {
            guard let record = scalars(in: jsonl[lines[i]]) else { continue }
            try writer.addScalars(record.values, step: record.step)
        }
        return writer
    }

    /// The byte ranges of the newline-terminated lines of `data`, without their newlines.
    static func completeLines(_ data: Data) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = data.startIndex
        for i in data.indices where data[i] == UInt8(ascii: "\n") {
            out.append(start..<i)
            start = i + 1
        }
        return out
    }

    /// The `"step"` of a JSONL line written by `log`, found without a full JSON parse (resume reads every line).
    static func step(in line: Data) -> Int64? {
        let key = Data(",\"step\":".utf8)
        guard let r = line.range(of: key) else { return nil }
        var i = r.upperBound
        var negative = false
        if i < line.endIndex, line[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var value: Int64 = 0, digits = 0
        while i < line.endIndex, line[i] >= UInt8(ascii: "0"), line[i] <= UInt8(ascii: "9"), digits < 18 {
            value = value * 10 + Int64(line[i] - UInt8(ascii: "0"))
            digits += 1
            i += 1
        }
        return digits == 0 ? nil : (negative ? -value : value)
    }

    /// The step and `<kind>/<key>` scalars of a JSONL line (null, for NaN or ±inf, reads as NaN).
    static func scalars(in line: Data) -> (step: Int64, values: [(tag: String, value: Float)])? {
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
              let kind = object["kind"] as? String, let step = (object["step"] as? NSNumber)?.int64Value
        else { return nil }
        var values: [(tag: String, value: Float)] = []
        for (key, v) in object.sorted(by: { $0.key < $1.key }) where !["kind", "step", "epoch"].contains(key) {
            if let n = v as? NSNumber {
                values.append((kind + "/" + key, Float(n.doubleValue)))
            } else if v is NSNull {
                values.append((kind + "/" + key, .nan))
            }
        }
        return (step, values)
    }
}
