/// `{csv: file, …}`: rows of numeric feature columns plus one integer class-label column.
public struct CSVSource: Codable, Equatable, Sendable {
    /// The key that names the file and marks the kind.
    static let kindKey = "csv"

    /// Which column holds the label: `first`, `last`, a 0-based index, or a header name.
    public enum LabelColumn: Codable, Equatable, Sendable {
        /// The first column.
        case first
        /// The last column (default).
        case last
        /// A 0-based column index.
        case index(Int)
        /// The column with this header name.
        case name(String)

        /// Decodes an integer index or a name (`first` and `last` are the ends).
        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) {
                guard i >= 0 else {
                    throw DecodingError.dataCorruptedError(in: c, debugDescription: "a column index is 0 or more, got \(i)")
                }
                self = .index(i)
                return
            }
            let s = try c.decode(String.self)
            switch s {
            case "first": self = .first
            case "last": self = .last
            case "": throw DecodingError.dataCorruptedError(in: c, debugDescription: "the column name must not be empty")
            default: self = .name(s)
            }
        }

        /// Encodes the index or name.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .first: try c.encode("first")
            case .last: try c.encode("last")
            case let .index(i): try c.encode(i)
            case let .name(s): try c.encode(s)
            }
        }
    }

    /// The CSV file.
    public var path: String
    /// The label column (default `last`).
    public var labelColumn: LabelColumn
    /// Whether the first row names the columns (default true).
    public var header: Bool
    /// The field separator, one character (default `,`).
    public var delimiter: String

    /// A source with the defaults.
    public init(path: String, labelColumn: LabelColumn = .last, header: Bool = true, delimiter: String = ",") {
        self.path = path
        self.labelColumn = labelColumn
        self.header = header
        self.delimiter = delimiter
    }

    enum CodingKeys: String, CodingKey {
        case path = "csv", labelColumn = "label_column", header, delimiter
    }

    /// Decodes the options.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CSVSource(path: "")
        path = try c.decode(String.self, forKey: .path)
        try c.check(!path.isEmpty, .path, "the file path must not be empty")
        labelColumn = try c.value(.labelColumn, or: d.labelColumn)
        header = try c.value(.header, or: d.header)
        delimiter = try c.value(.delimiter, or: d.delimiter)
        try c.check(delimiter.count == 1 && delimiter != "\"" && delimiter != "\n", .delimiter,
                    "must be one character other than a quote or newline, got \"\(delimiter)\"")
        if case .name = labelColumn { try c.check(header, .labelColumn, "a column name needs header: true") }
    }

    /// Encodes every option.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(labelColumn, forKey: .labelColumn)
        try c.encode(header, forKey: .header)
        try c.encode(delimiter, forKey: .delimiter)
    }
}
