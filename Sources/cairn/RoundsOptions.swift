import ArgumentParser

/// `--rounds N` of `bench train|infer|io`: how many times Cairn and then PyTorch are measured,
/// alternating, each side keeping its best (see `BenchResult.interleaved`).
struct RoundsOptions: ParsableArguments {
    @Option(help: "Rounds of Cairn then PyTorch, alternating; each side keeps its best over all rounds.")
    var rounds = 1

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1, got \(rounds)") }
    }
}
