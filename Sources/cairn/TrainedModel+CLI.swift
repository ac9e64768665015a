import Foundation
import Training
import Data

extension TrainedModel {
    /// Loads `path`, turning a missing path or a trainer-state problem into a CLI bad-input error.
    static func cli(_ path: String) throws -> TrainedModel {
        guard path.hasSuffix("/latest") || path == "latest" || FileManager.default.fileExists(atPath: path) else {
            throw CLIError.badInput("\(path): no such file or directory")
        }
        do { return try TrainedModel(path: path) } catch let e as TrainerError { throw CLIError.badInput("\(e)") }
    }

    /// The image folder at `path` labelled through `model`'s class map; an unknown class is a bad-input error.
    static func cliFolder(_ model: TrainedModel, _ path: String) throws -> ImageFolder {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError.badInput("\(path): no such file or directory") }
        do { return try model.folder(URL(fileURLWithPath: path)) } catch let e as TrainerError { throw CLIError.badInput("\(e)") }
    }
}
