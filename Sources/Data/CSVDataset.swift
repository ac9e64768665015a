import Foundation

/// Rows of a CSV file: numeric feature columns plus one integer class-label column.
///
/// Fields are split on the delimiter and trimmed of spaces and tabs; a field wrapped in double
/// quotes has them removed (quoted delimiters are not supported). Blank lines are ignored.
/// Every row must have the header's (or the first row's) field count; features must be finite
/// numbers and labels non-negative integers. Errors name the file, the 1-based line and column.
public struct CSVDataset: Dataset {
    /// Which column holds the label.
    public enum LabelColumn: Equatable, Sendable, Codable {
        /// The first column.
        case first
        /// The last column.
        case last
        /// A 0-based column index.
        case index(Int)
        /// The column with this header name (needs a header).
        case name(String)
    }

    /// The file the rows came from (or the name given to text).
    public let path: String
    /// Header names of the feature columns (generated as "f0", "f1", … without a header).
    public let featureNames: [String]
    /// Row-major features, `count × featureCount`.
    public let features: [Float]
    /// One label per row.
    public let labels: [Int]
    /// Hash of the features and labels.
    public let fingerprint: UInt64

    /// Parses the file at `path`.
    public init(path: String, labelColumn: LabelColumn = .last, hasHeader: Bool = true, delimiter: Character = ",") throws {
        let data: Foundation.Data
        do { data = try Foundation.Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DataError.unreadableFile(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError.csv(path: path, line: 1, column: 0, reason: "file is not valid UTF-8")
        }
        try self.init(text: text, name: path, labelColumn: labelColumn, hasHeader: hasHeader, delimiter: delimiter)
    }

    /// Parses CSV `text`; `name` stands for the file in error messages.
    public init(text: String, name: String = "<csv>", labelColumn: LabelColumn = .last, hasHeader: Bool = true,
                delimiter: Character = ",") throws {
        path = name
        var header: [String]?
        var width = -1
        var labelIndex = -1
        var features: [Float] = []
        var labels: [Int] = []
        var lineNumber = 0
        // "\r\n" is a single Character in Swift, so both line endings are separators here.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = line.split(separator: delimiter, omittingEmptySubsequences: false).map(CSVDataset.clean)
            if width < 0 {
                width = fields.count
                guard width >= 2 else {
                    throw DataError.csv(path: name, line: lineNumber, column: 0,
                                        reason: "need at least one feature and one label column, found \(width) column(s)")
                }
                labelIndex = try CSVDataset.resolve(labelColumn, header: hasHeader ? fields : nil, width: width,
                                                    path: name, line: lineNumber)
                if hasHeader {
                    header = fields
                    continue
                }
            }
            guard fields.count == width else {
                throw DataError.csv(path: name, line: lineNumber, column: 0,
                                    reason: "expected \(width) fields, found \(fields.count)")
            }
            for (c, field) in fields.enumerated() {
                if c == labelIndex {
                    guard let label = Int(field), label >= 0 else {
                        throw DataError.csv(path: name, line: lineNumber, column: c + 1,
                                            reason: "label \"\(field)\" is not a non-negative integer")
                    }
                    labels.append(label)
                } else {
                    guard let v = Float(field), v.isFinite else {
                        throw DataError.csv(path: name, line: lineNumber, column: c + 1,
                                            reason: "\"\(field)\" is not a finite number")
                    }
                    features.append(v)
                }
            }
        }
        guard width > 0 else { throw DataError.csv(path: name, line: max(lineNumber, 1), column: 0, reason: "no rows") }
        var names = header ?? (0..<(width - 1)).map { "f\($0)" }
        if header != nil { names.remove(at: labelIndex) }
        featureNames = names
        self.features = features
        self.labels = labels
        var h = Fingerprint()
        h.string("CSVDataset")
        h.int(names.count)
        for l in labels { h.int(l) }
        features.withUnsafeBytes { h.bytes($0) }
        fingerprint = h.value
    }

    static func clean(_ field: Substring) -> String {
        var f = field.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
        if f.count >= 2, f.hasPrefix("\""), f.hasSuffix("\"") { f = String(f.dropFirst().dropLast()) }
        return f
    }

    static func resolve(_ column: LabelColumn, header: [String]?, width: Int, path: String, line: Int) throws -> Int {
        switch column {
        case .first:
            return 0
        case .last:
            return width - 1
        case let .index(i):
            guard i >= 0 && i < width else {
                throw DataError.csv(path: path, line: line, column: 0, reason: "label column \(i) out of range for \(width) columns")
            }
            return i
        case let .name(n):
            guard let header else {
                throw DataError.csv(path: path, line: line, column: 0, reason: "label column \"\(n)\" needs a header row")
            }
            guard let i = header.firstIndex(of: n) else {
                throw DataError.csv(path: path, line: line, column: 0,
                                    reason: "no column named \"\(n)\" in header \(header.joined(separator: ","))")
            }
            return i
        }
    }

    /// Number of rows.
    public var count: Int { labels.count }

    /// Number of feature columns.
    public var featureCount: Int { featureNames.count }

    /// [featureCount].
    public var exampleShape: [Int] { [featureCount] }

    /// Number of classes implied by the labels (largest label + 1).
    public var classCount: Int { (labels.max() ?? -1) + 1 }

    /// Copies row `index`'s features.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>) throws -> ExampleLoad {
        precondition(index >= 0 && index < count, "CSVDataset.load: index \(index) out of range 0..<\(count)")
        precondition(destination.count == featureCount,
                     "CSVDataset.load: destination holds \(destination.count), row has \(featureCount) features")
        features.withUnsafeBufferPointer { f in
            if featureCount > 0 { destination.baseAddress!.update(from: f.baseAddress! + index * featureCount, count: featureCount) }
        }
        return .loaded(label: labels[index])
    }
}
