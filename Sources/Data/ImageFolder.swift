import Foundation

/// Images in one subfolder per class (`root/<class>/**/<file>.png|jpg|jpeg`), decoded with
/// libpng/libjpeg, converted to the configured `ColorMode`, scaled to [0, 1] (value / 255),
/// resized to the configured size with `Bilinear`'s rule, and normalized only when the config
/// names a `Normalization`.
///
/// Class indices come from a `ClassMap`: pass the map saved in a checkpoint as `classMap` and old
/// classes keep their indices while new class folders are appended (see `ClassMap`).
/// Examples are ordered by class index, then by relative path in UTF-8 byte order, so the order is
/// a pure function of the class map and the files present. Hidden files and folders (leading ".")
/// and files with other extensions are ignored; class folders are searched recursively.
///
/// Bad input never crashes and never allocates unboundedly: files over `maxFileBytes`, headers over
/// `maxPixels`, corrupt or truncated data, unconvertible channels and empty class folders are
/// warnings naming the file (the file is left out) or, with `onBadImage: .error`, a `DataError`.
public struct ImageFolder: Dataset {
    /// One image: its path relative to the root (starting with the class folder) and class index.
    public struct Entry: Equatable, Hashable, Sendable {
        /// Path under the root, "/"-separated, e.g. "circle/img_001.png".
        public let relativePath: String
        /// Class index in the class map.
        public let label: Int
    }

    /// The folder holding one subfolder per class.
    public let root: URL
    /// How images are read and converted.
    public let config: Config
    /// Class name → index; grows only by appending.
    public private(set) var classMap: ClassMap
    /// The images, ordered by class index then relative path.
    public private(set) var entries: [Entry]
    /// Problems found by the last scan (files and folders left out).
    public private(set) var warnings: [DataWarning]
    /// Hash of the output configuration, class map and entries.
    public private(set) var fingerprint: UInt64
    private var paths: [String]

    /// Scans `root`; with `classMap` (e.g. from a checkpoint) existing classes keep their indices.
    public init(root: URL, config: Config, classMap: ClassMap? = nil) throws {
        try config.validate()
        self.root = root
        self.config = config
        self.classMap = classMap ?? ClassMap()
        entries = []
        warnings = []
        paths = []
        fingerprint = 0
        _ = try rescan()
    }

    /// Number of images.
    public var count: Int { entries.count }

    /// [C, H, W] from the config.
    public var exampleShape: [Int] { config.shape }

    /// Number of images per class index (classes without images count 0).
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classMap.count)
        for e in entries { counts[e.label] += 1 }
        return counts
    }

    /// Absolute path of image `index`.
    public func path(at index: Int) -> String { paths[index] }

    /// Decodes image `index` into `destination` ([C, H, W], unnormalized); bad files are skipped or thrown per config.
    public func load(_ index: Int, into destination: UnsafeMutableBufferPointer<Float>) throws -> ExampleLoad {
        precondition(index >= 0 && index < entries.count, "ImageFolder.load: index \(index) out of range 0..<\(entries.count)")
        precondition(destination.count == config.channels * config.height * config.width,
                     "ImageFolder.load: destination holds \(destination.count) floats, example has shape \(config.shape)")
        do {
            try decode(paths[index], into: destination.baseAddress!)
            return .loaded(label: entries[index].label)
        } catch let error as DataError where error.isSkippable && config.onBadImage == .skip {
            return .skipped(error)
        }
    }

    /// Applies the configured normalization, if any.
    public func normalize(_ values: UnsafeMutableBufferPointer<Float>, at index: Int) {
        config.normalization?.apply(values, channels: config.channels)
    }

    /// Reads, decodes, converts and resizes one file into [C, H, W] floats at `dst`.
    func decode(_ path: String, into dst: UnsafeMutablePointer<Float>) throws {
        let image = try decodedImage(path, headerOnly: false)
        let c = config.channels, h = config.height, w = config.width
        if image.width == w && image.height == h {
            image.writePlanar(channels: c, to: dst)
            return
        }
        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: c * image.width * image.height)
        defer { tmp.deallocate() }
        image.writePlanar(channels: c, to: tmp)
        Bilinear.resize(tmp, channels: c, inHeight: image.height, inWidth: image.width, into: dst, outHeight: h, outWidth: w)
    }

    /// The file decoded to 8-bit samples with the alpha policy applied (throws `DataError` naming the file).
    func decodedImage(_ path: String, headerOnly: Bool) throws -> DecodedImage {
        let bytes = try ImageDecoder.readFile(path, limit: config.maxFileBytes)
        let image = try ImageDecoder.decode(bytes, path: path, wantGray: config.color == .gray,
                                            maxPixels: config.maxPixels, headerOnly: headerOnly)
        if !headerOnly, config.alpha == .rejectTranslucent, image.hasTranslucentPixels {
            throw DataError.channelMismatch(path: path, found: "\(image.modelName) with translucent pixels",
                                            wanted: "\(config.color.displayName) (alpha policy rejectTranslucent)")
        }
        return image
    }

    /// Rescans the folder (e.g. between epochs): picks up new images and new class folders, drops
    /// deleted files, and reports the changes. New classes are appended to the class map in sorted
    /// order; only files not already in the dataset are verified again.
    @discardableResult
    public mutating func rescan() throws -> RescanReport {
        let rootPath = root.standardizedFileURL.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: rootPath, isDirectory: &isDir), isDir.boolValue else {
            throw DataError.notADirectory(path: rootPath)
        }
        let known = Set(entries.map(\.relativePath))
        var scanWarnings: [DataWarning] = []
        var found: [(name: String, files: [String])] = []
        let exts = Set(config.extensions.map { $0.lowercased() })
        for name in ClassMap.sorted(try listing(rootPath)) where !name.hasPrefix(".") {
            let dir = rootPath + "/" + name
            guard isDirectory(dir) else { continue }
            var files: [String] = []
            try walk(dir, relative: name, extensions: exts, depth: 0, into: &files)
            var usable: [String] = []
            for rel in ClassMap.sorted(files) {
                if known.contains(rel) || config.verify == .none {
                    usable.append(rel)
                    continue
                }
                do {
                    try verify(rootPath + "/" + rel)
                    usable.append(rel)
                } catch let error as DataError where error.isSkippable && config.onBadImage == .skip {
                    scanWarnings.append(DataWarning(error))
                }
            }
            if usable.isEmpty {
                let error = DataError.emptyClassFolder(path: dir)
                if config.onBadImage == .error { throw error }
                scanWarnings.append(DataWarning(error))
                continue
            }
            found.append((name, usable))
        }
        for name in classMap.names where !found.contains(where: { $0.name == name }) && !isDirectory(rootPath + "/" + name) {
            scanWarnings.append(DataWarning(path: rootPath + "/" + name,
                                            message: "\(rootPath)/\(name): class \"\(name)\" from the class map has no folder"))
        }
        let addedClasses = classMap.add(found.map(\.name))
        var newEntries: [Entry] = []
        for (name, files) in found {
            let label = classMap.index(of: name)!
            for rel in files { newEntries.append(Entry(relativePath: rel, label: label)) }
        }
        newEntries.sort { $0.label != $1.label ? $0.label < $1.label : $0.relativePath.utf8.lexicographicallyPrecedes($1.relativePath.utf8) }
        let newSet = Set(newEntries.map(\.relativePath))
        let report = RescanReport(addedClasses: addedClasses,
                                  addedImages: newEntries.map(\.relativePath).filter { !known.contains($0) },
                                  removedImages: entries.map(\.relativePath).filter { !newSet.contains($0) },
                                  warnings: scanWarnings)
        entries = newEntries
        paths = newEntries.map { rootPath + "/" + $0.relativePath }
        warnings = scanWarnings
        fingerprint = computeFingerprint()
        return report
    }

    /// Keeps only the first `classCount` classes of the map and, when `files` is given, only those
    /// relative paths; returns the kept-out class names. A trainer uses it to see exactly the data an
    /// interrupted epoch started with, and to leave out class folders its model has no outputs for.
    @discardableResult
    public mutating func restrict(classCount: Int, files: Set<String>? = nil) -> [String] {
        let dropped = Array(classMap.names.dropFirst(classCount))
        if !dropped.isEmpty { classMap = ClassMap(names: Array(classMap.names.prefix(classCount))) }
        let keep = entries.indices.filter { i in
            entries[i].label < classCount && files.map { $0.contains(entries[i].relativePath) } ?? true
        }
        if keep.count != entries.count {
            entries = keep.map { entries[$0] }
            paths = keep.map { paths[$0] }
        }
        fingerprint = computeFingerprint()
        return dropped
    }

    /// Checks one file as deeply as `config.verify` asks.
    func verify(_ path: String) throws {
        switch config.verify {
        case .none:
            return
        case .header:
            _ = try decodedImage(path, headerOnly: true)
        case .decode:
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: config.channels * config.height * config.width)
            defer { scratch.deallocate() }
            try decode(path, into: scratch)
        }
    }

    func computeFingerprint() -> UInt64 {
        var h = Fingerprint()
        h.string("ImageFolder")
        for v in [config.height, config.width, config.channels] { h.int(v) }
        for n in classMap.names { h.string(n) }
        for e in entries {
            h.int(e.label)
            h.string(e.relativePath)
        }
        return h.value
    }

    func listing(_ dir: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
            throw DataError.unreadableFile(path: dir, reason: "cannot list folder: \(error.localizedDescription)")
        }
    }

    func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Collects image files under `dir` (following folder links up to a fixed depth, so a link cycle ends).
    func walk(_ dir: String, relative: String, extensions: Set<String>, depth: Int, into files: inout [String]) throws {
        guard depth < 32 else { return }
        for name in try listing(dir) where !name.hasPrefix(".") {
            let path = dir + "/" + name, rel = relative + "/" + name
            if isDirectory(path) {
                try walk(path, relative: rel, extensions: extensions, depth: depth + 1, into: &files)
            } else if let dot = name.lastIndex(of: "."), extensions.contains(name[name.index(after: dot)...].lowercased()) {
                files.append(rel)
            }
        }
    }
}
