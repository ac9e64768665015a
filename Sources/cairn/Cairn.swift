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
          cairn inspect checkpoint.pth
          cairn convert checkpoint.pth model.safetensors
          cairn diff a.safetensors b.safetensors
          cairn verify runs/exp1/checkpoints/epoch-0003
          cairn bench io --size-mb 64

        Exit status: 0 success, 1 bad input (missing, malformed or corrupt files), 2 bad usage.
        """,
        subcommands: [DemoCommand.self, BenchCommand.self, InspectCommand.self, DiffCommand.self,
                      ConvertCommand.self, VerifyCommand.self, TrainCommand.self, ResumeCommand.self,
                      DataCommand.self, FinetuneCommand.self, EvalCommand.self, PredictCommand.self, ExportCommand.self,
                      SelftestCommand.self]
    )
}
