/// One of `data.train`, `data.val`, `data.test` (or `finetune.rehearsal.data`): a folder of
/// images, one subfolder per class, or a CSV file of numeric features and a label column.
///
/// Written as a mapping holding `image_folder: <dir>` or `csv: <file>` plus that kind's options,
/// or as a bare path, which means an image folder with the defaults.
public enum DataSourceConfig: Codable, Equatable, Sendable {
    /// `{image_folder: dir, …}`.
    case imageFolder(ImageFolderSource)
    /// `{csv: file, …}`.
    case csv(CSVSource)

    /// The folder or file.
    public var path: String {
        get {
            switch self {
            case let .imageFolder(s): return s.path
            case let .csv(s): return s.path
            }
        }
        set {
            switch self {
            case var .imageFolder(s): s.path = newValue; self = .imageFolder(s)
            case var .csv(s): s.path = newValue; self = .csv(s)
            }
        }
    }

    /// Decodes either kind; the kind is the key that names the path.
    public init(from decoder: Decoder) throws {
        if let path = try? decoder.singleValueContainer().decode(String.self) {
            guard !path.isEmpty else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "the path must not be empty"))
            }
            self = .imageFolder(ImageFolderSource(path: path))
            return
        }
        let c = try decoder.container(keyedBy: AnyKey.self)
        let image = c.contains(AnyKey(ImageFolderSource.kindKey)), csv = c.contains(AnyKey(CSVSource.kindKey))
        switch (image, csv) {
        case (true, true):
            throw c.invalid(AnyKey(CSVSource.kindKey), "a source is either 'image_folder' or 'csv', not both")
        case (true, false): self = .imageFolder(try ImageFolderSource(from: decoder))
        case (false, true): self = .csv(try CSVSource(from: decoder))
        case (false, false):
            // Name the kind a misspelt key was probably meant to be, so the typo is what gets reported.
            let kind = c.presentKeys.contains { ConfigError.isNearMiss($0, CSVSource.kindKey) } ? CSVSource.kindKey : ImageFolderSource.kindKey
            throw c.missing(AnyKey(kind), "missing 'image_folder: <dir>' or 'csv: <file>'")
        }
    }

    /// Encodes the kind's mapping.
    public func encode(to encoder: Encoder) throws {
        switch self {
        case let .imageFolder(s): try s.encode(to: encoder)
        case let .csv(s): try s.encode(to: encoder)
        }
    }
}
