import ArgumentParser

/// `cairn bench`: benchmarks that print JSON comparable with `shared/bench/torch_baseline.py`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark Cairn (side by side with PyTorch when asked).",
        subcommands: [BenchTrainCommand.self, BenchIOCommand.self, BenchInferCommand.self, BenchDataCommand.self,
                      BenchResumeCommand.self, BenchScalingCommand.self, BenchMemoryCommand.self, BenchReportCommand.self],
        defaultSubcommand: BenchTrainCommand.self)
}
