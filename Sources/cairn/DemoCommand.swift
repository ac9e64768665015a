import ArgumentParser

/// `cairn demo`: the guided demos (the shapes mission by default).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run a built-in demo on data it generates (default: shapes).",
        subcommands: [DemoShapesCommand.self, DemoSpiralCommand.self], defaultSubcommand: DemoShapesCommand.self)
}
