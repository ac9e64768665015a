import ArgumentParser

/// The `cairn` command: training with checkpoints you can trust.
@main
struct Cairn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Train neural networks on the CPU with checkpoints you can trust.",
        discussion: """
        Examples:
          cairn demo                 # train a small MLP on generated spirals
          cairn bench train --json   # ms per training step, MLP and CNN
        """,
        subcommands: [DemoCommand.self, BenchCommand.self]
    )
}
