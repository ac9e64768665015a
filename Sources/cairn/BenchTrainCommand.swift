import ArgumentParser

import Foundation
import NN
import Optimizers
import TensorCore

/// `cairn bench train`: ms per Adam training step of the baseline's MLP and CNN workloads.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time one Adam training step of the MLP (784-512-512-10, batch 128) and CNN (batch 64).",
        discussion: """
        The workloads and timing rule (best of 5 repeats after 10 warm-up steps) are those of
        shared/bench/torch_baseline.py. With --compare the PyTorch baseline runs in the same
        invocation and a ratio table is printed; with --rounds N both sides run N times, alternating,
        and each keeps its best time.
        Examples:
          cairn bench train --json
          cairn bench train --compare --baseline ../shared/bench/torch_baseline.py
          cairn bench train --compare --rounds 3
        """)

    @Flag(help: "Print one JSON object (keys mlp_ms_per_step, cnn_ms_per_step, threads).") var json = false
    @Option(help: "Threads for BLAS (the baseline uses the same count).") var threads = 2
    @Flag(help: "Also run the PyTorch baseline and print Cairn/PyTorch ratios.") var compare = false
    @Option(help: "Path of torch_baseline.py.") var baseline = "../shared/bench/torch_baseline.py"
    @Option(help: "Which workloads to time: all, mlp or cnn (e.g. to profile one under perf).") var workload = "all"
    @OptionGroup var roundsOptions: RoundsOptions
    var rounds: Int { roundsOptions.rounds }

    func validate() throws {
        guard ["all", "mlp", "cnn"].contains(workload) else {
            throw ValidationError("--workload must be all, mlp or cnn, got '\(workload)'")
        }
    }

    func run() throws {
        BLAS.setThreads(threads)
        let (mine, torch) = try BenchResult.interleaved(rounds: rounds, cairn: {
            var times: [String: Double] = [:]
            if workload != "cnn" { times["mlp_ms_per_step"] = TrainBench.mlp() }
            if workload != "mlp" { times["cnn_ms_per_step"] = TrainBench.cnn() }
            return times
        }, torch: compare ? { try TrainBench.runBaseline(script: baseline, threads: threads) } : nil)
        var result = mine.merging(["threads": Double(threads), "rounds": Double(rounds)]) { $1 }
        if let torch {
            for (k, v) in torch { result["torch_" + k] = v }
            for key in ["mlp", "cnn"] {
                if let t = torch["\(key)_ms_per_step"], let c = result["\(key)_ms_per_step"] { result["\(key)_ratio"] = c / t }
            }
        }
        if json {
            let keys = result.keys.sorted()
            print("{" + keys.map { "\"\($0)\": \(Self.format(result[$0]!))" }.joined(separator: ", ") + "}")
        } else {
            print("workload                 cairn ms/step" + (compare ? "   torch ms/step   ratio" : ""))
            for (name, key) in [("MLP 784-512-512-10 b128", "mlp"), ("CNN conv-conv-fc b64", "cnn")] {
                guard result["\(key)_ms_per_step"] != nil else { continue }
                var line = name.padding(toLength: 25, withPad: " ", startingAt: 0)
                    + String(format: "%13.3f", result["\(key)_ms_per_step"]!)
                if let t = result["torch_\(key)_ms_per_step"], let r = result["\(key)_ratio"] {
                    line += String(format: "   %13.3f   %5.2fx", t, r)
                }
                print(line)
            }
            print("threads: \(threads)" + (rounds > 1 ? "; best of \(rounds) rounds, each Cairn then PyTorch" : ""))
        }
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && Swift.abs(v) < 1e15 ? String(Int(v)) : String(format: "%.4f", v)
    }
}
