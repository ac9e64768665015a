import ArgumentParser

/// `cairn data`: dataset utilities.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Dataset utilities.", subcommands: [DataShapesCommand.self])
}
