import ArgumentParser
import Foundation
import NN
import TensorCore

/// `cairn bench infer`: ms per forward pass in evaluation mode without gradients, for the MLP and
/// the CNN of `bench train`, at batch 1 and batch 256.
struct BenchInferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Time eval-mode forward passes (no grad) of the MLP and CNN at batch 1 and 256.",
        discussion: """
        Models: MLP 784-512-512-10 (ReLU) and CNN conv(1→16,5)-relu-pool-conv(16→32,5)-relu-pool-fc,
        as in `cairn bench train`. Each number is the best of 5 repeats of the mean over N forward
        passes (N = 200 at batch 1, 20 at batch 256) after 10 warm-up passes; with --rounds N both
        sides run N times, alternating, and each keeps its best.
        JSON keys: mlp_b1_ms, mlp_b256_ms, cnn_b1_ms, cnn_b256_ms, threads, rounds; with --compare also
        torch_<key> (scripts/torch_bench.py, WORKLOADS=infer, same thread count) and <model>_b<N>_ratio
        (Cairn ms / PyTorch ms; below 1: Cairn faster).
        Examples:
          cairn bench infer --json
          cairn bench infer --compare --script scripts/torch_bench.py
        """)

    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Threads for BLAS (the PyTorch side uses the same count).") var threads = 2
    @Flag(help: "Also run the PyTorch side and print Cairn/PyTorch ratios.") var compare = false
    @Option(help: "Path of torch_bench.py.") var script = "scripts/torch_bench.py"
    @Flag(help: "Few repeats (a smoke test; numbers are not meaningful).") var quick = false
    @OptionGroup var roundsOptions: RoundsOptions
    var rounds: Int { roundsOptions.rounds }

    /// The keys both sides measure.
    static let keys = ["mlp_b1_ms", "mlp_b256_ms", "cnn_b1_ms", "cnn_b256_ms"]

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        var rng = RandomGenerator(seed: 0)
        let models: [(String, Module, [Int])] = [("mlp", Self.mlp(width: 512, rng: &rng), [784]),
                                                 ("cnn", Self.cnn(rng: &rng), [1, 28, 28])]
        let inputs = models.map { m in [1, 256].map { rng.normal([$0] + m.2) } }
        let (mine, torch) = try BenchResult.interleaved(rounds: rounds, cairn: {
            var times: [String: Double] = [:]
            for ((name, model, _), xs) in zip(models, inputs) {
                model.eval()
                for x in xs {
                    let batch = x.shape[0]
                    let passes = quick ? 2 : (batch == 1 ? 200 : 20)
                    times["\(name)_b\(batch)_ms"] = Self.forwardMs(model, x, passes: passes, warm: quick ? 1 : 10, repeats: quick ? 1 : 5)
                }
            }
            return times
        }, torch: compare ? { try BenchResult.runTorch(script: script, workloads: ["infer"], threads: threads, quick: quick) } : nil)
        var r = BenchResult(values: mine)
        r["threads"] = Double(threads)
        r["rounds"] = Double(rounds)
        if let torch { r.merge(torch: torch, ratios: Self.keys) }
        if json { try r.printJSON() } else { r.printTable(title: "inference, ms per forward pass (eval, no grad), threads \(threads)") }
    }

    /// Best-of-`repeats` mean ms of one no-grad forward pass of `model` on `x`.
    static func forwardMs(_ model: Module, _ x: Tensor, passes: Int, warm: Int, repeats: Int) -> Double {
        GradMode.noGrad {
            for _ in 0..<warm { _ = model(x) }
            return BenchResult.best(of: repeats) { for _ in 0..<passes { _ = model(x) } } * 1e3 / Double(passes)
        }
    }

    /// MLP 784-w-w-10 with ReLU.
    static func mlp(width: Int, rng: inout RandomGenerator) -> Module {
        Sequential(Linear(784, width, rng: &rng), ReLU(), Linear(width, width, rng: &rng), ReLU(), Linear(width, 10, rng: &rng))
    }

    /// conv(1→16,5)-relu-maxpool2-conv(16→32,5)-relu-maxpool2-flatten-fc(512→10).
    static func cnn(rng: inout RandomGenerator) -> Module {
        Sequential(
            Conv2d(1, 16, kernelSize: (5, 5), rng: &rng), ReLU(), MaxPool2d(kernelSize: (2, 2)),
            Conv2d(16, 32, kernelSize: (5, 5), rng: &rng), ReLU(), MaxPool2d(kernelSize: (2, 2)),
            Flatten(), Linear(512, 10, rng: &rng))
    }
}
