import Foundation
import TensorCore

/// The URL of `Tests/Fixtures/<relative>`, found from this source file's location;
/// the `CAIRN_FIXTURES` environment variable replaces the `Tests/Fixtures` folder (e.g. for
/// freshly generated fixtures).
public func fixtureURL(_ relative: String) -> URL {
    if let root = ProcessInfo.processInfo.environment["CAIRN_FIXTURES"], !root.isEmpty {
        return URL(fileURLWithPath: root).appendingPathComponent(relative)
    }
    // This file sits in Tests/CairnTestSupport/, so its parent's parent is Tests/.
    return URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(relative)
}

/// Why a fixture could not be used.
public struct FixtureError: Error, CustomStringConvertible {
    /// What went wrong, naming the file.
    public let description: String
}

/// Every tensor of a fixture file and its `config` metadata parsed as a JSON object
/// (see Tests/Fixtures/README.md).
public func loadFixture(_ relative: String) throws -> (tensors: [String: Tensor], config: [String: Any]) {
    let url = fixtureURL(relative)
    let file = try SafetensorsFile(contentsOf: url)
    var tensors: [String: Tensor] = [:]
    for name in file.names { tensors[name] = try file.tensor(name) }
    guard let text = file.metadata?["config"] else {
        throw FixtureError(description: "\(url.path): no \"config\" entry in __metadata__")
    }
    guard let config = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw FixtureError(description: "\(url.path): \"config\" metadata is not a JSON object")
    }
    return (tensors, config)
}

/// The names of the fixture files in `Tests/Fixtures/<folder>` with the given extension, sorted.
public func fixtureNames(in folder: String, extension ext: String = "safetensors") throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: fixtureURL(folder).path)
        .filter { $0.hasSuffix("." + ext) }.sorted()
}
