import ArgumentParser
import Foundation
import NN
import Optimizers
import TensorCore

/// `cairn bench memory`: peak resident memory of a process that trains the MLP (784-512-512-10,
/// batch 128, Adam), measured the same way for Cairn and PyTorch: each runs in a fresh child
/// process that reports its own peak (getrusage ru_maxrss, the kernel's high-water mark of RSS).
struct BenchMemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Peak RSS of a child process training the MLP (Cairn, and PyTorch with --compare).",
        discussion: """
        Cairn's child is this binary (`cairn bench memory --child`); PyTorch's is
        scripts/torch_bench.py (WORKLOADS=rss), which trains the same MLP for the same number of
        steps in a fresh interpreter. Both peaks include the runtime itself (Swift runtime and
        OpenBLAS; Python, torch and its libraries), which is what a user's training process costs.
        JSON keys: peak_rss_MB, steps; with --compare torch_peak_rss_MB and peak_rss_ratio
        (Cairn over PyTorch; at most 1: Cairn uses no more).
        Examples:
          cairn bench memory --json --compare
        """)

    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Training steps.") var steps = 100
    @Option(help: "Threads for BLAS (the PyTorch side uses the same count).") var threads = 2
    @Flag(help: "Also measure PyTorch.") var compare = false
    @Option(help: "Path of torch_bench.py.") var script = "scripts/torch_bench.py"
    @Flag(help: "A few steps (a smoke test).") var quick = false
    @Flag(help: .hidden) var child = false

    func validate() throws {
        guard steps >= 1, threads >= 1 else { throw ValidationError("--steps and --threads must be at least 1") }
    }

    func run() throws {
        let n = quick ? 3 : steps
        if child {
            BLAS.setThreads(threads)
            Self.train(steps: n)
            print(Self.peakRSSMegabytes())
            return
        }
        let p = Process()
        p.executableURL = ChildRun.executable
        p.arguments = ["bench", "memory", "--child", "--steps", String(n), "--threads", String(threads)]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0, let mb = Double(out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CLIError.failed("the memory benchmark child \(ChildRun.executable.path) failed (exit \(p.terminationStatus)): \(out)")
        }
        var r = BenchResult()
        r["peak_rss_MB"] = mb
        r["steps"] = Double(n)
        if compare {
            let torch = try BenchResult.runTorch(script: script, workloads: ["rss"], threads: threads, quick: false,
                                                 environment: ["RSS_STEPS": String(n)])
            r.merge(torch: torch, ratios: ["peak_rss_MB"])
        }
        if json { try r.printJSON() } else { r.printTable(title: "peak RSS training the MLP for \(n) steps") }
    }

    /// Adam steps of the MLP on one random batch of 128.
    static func train(steps: Int) {
        var rng = RandomGenerator(seed: 0)
        let model = BenchInferCommand.mlp(width: 512, rng: &rng)
        let x = rng.normal([128, 784])
        let y = Tensor(indices: (0..<128).map { _ in rng.nextInt(below: 10) })
        let optimizer = Adam(model.namedParameters(), lr: 1e-3)
        for _ in 0..<steps {
            optimizer.zeroGrad()
            Loss.crossEntropy(model(x), y).backward()
            optimizer.step()
        }
    }

    /// This process's peak resident set size in MB (10^6 bytes); Linux reports ru_maxrss in KiB.
    static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024 / 1e6
    }
}
