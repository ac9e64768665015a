import ArgumentParser

/// `cairn selftest`: checks this installation's guarantees on the user's own machine.
struct SelftestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest", abstract: "Check Cairn's guarantees on this machine.",
        subcommands: [SelftestResumeCommand.self])
}
