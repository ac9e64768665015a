import ArgumentParser
import Checkpoint
import Foundation
import NN
import TensorCore

/// `cairn bench scaling`: how the MLP training step scales with batch size and hidden width, and
/// how a fsynced save scales with the state size.
struct BenchScalingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling",
        abstract: "Train-step time against batch size and hidden width; save time against state size.",
        discussion: """
        Train step: Adam step of the MLP 784-w-w-10 (as in `bench train`), best of 5 repeats of the
        mean over 10 steps after 10 warm-up steps; batch 16…512 at width 512, width 128…2048 at
        batch 128. Save: Safetensors.write with fsync and CheckpointStore.save (checksums, manifest,
        fsync) of a float32 state dict of 64 tensors, for sizes 16 MiB … --max-save-mb (default
        1024: the 2 GiB point is left out to keep `make bench` within its time budget; pass
        --max-save-mb 2048 to add it); best of 3 (of 1 from 1 GiB up).
        JSON keys: batch<B>_ms, width<W>_ms (with --compare also torch_<key> and <stem>_ratio, Cairn
        over PyTorch), save<S>MB_s, save<S>MB_MBps, checkpoint_save<S>MB_s.
        Examples:
          cairn bench scaling --json --compare
          cairn bench scaling --max-save-mb 2048
        """)

    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Threads for BLAS (the PyTorch side uses the same count).") var threads = 2
    @Flag(help: "Also run the PyTorch side of the train-step sweeps.") var compare = false
    @Option(help: "Path of torch_bench.py.") var script = "scripts/torch_bench.py"
    @Option(help: "Largest state size saved, in MiB.") var maxSaveMb = 1024
    @Option(help: "Directory for the temporary files.") var dir = NSTemporaryDirectory()
    @Flag(help: "Two points per sweep, tiny sizes (a smoke test).") var quick = false

    /// Batch sizes of the batch sweep.
    static let batches = [16, 32, 64, 128, 256, 512]
    /// Hidden widths of the width sweep.
    static let widths = [128, 256, 512, 1024, 2048]
    /// State sizes of the save sweep, in MiB.
    static let saveSizes = [16, 64, 256, 1024, 2048]

    func validate() throws {
        guard threads >= 1, maxSaveMb >= 1 else { throw ValidationError("--threads and --max-save-mb must be at least 1") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        var r = BenchResult()
        let batches = quick ? [16, 32] : Self.batches
        let widths = quick ? [128, 256] : Self.widths
        let steps = quick ? 1 : 10, warm = quick ? 1 : 10
        for b in batches { r["batch\(b)_ms"] = Self.stepMs(width: 512, batch: b, steps: steps, warm: warm) }
        for w in widths { r["width\(w)_ms"] = Self.stepMs(width: w, batch: 128, steps: steps, warm: warm) }
        if compare {
            let keys = batches.map { "batch\($0)_ms" } + widths.map { "width\($0)_ms" }
            r.merge(torch: try BenchResult.runTorch(script: script, workloads: ["sweep"], threads: threads, quick: quick),
                    ratios: keys)
        }

        let work = URL(fileURLWithPath: dir).appendingPathComponent("cairn-bench-scaling-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        for mb in quick ? [1, 2] : Self.saveSizes.filter({ $0 <= maxSaveMb }) {
            let sd = BenchIOCommand.stateDict(sizeMB: mb)
            let pairs = sd.pairs.map { (name: $0.0, tensor: $0.1) }
            let bytes = Double(sd.pairs.reduce(0) { $0 + $1.1.count * 4 })
            let repeats = mb >= 1024 ? 1 : 3
            let file = work.appendingPathComponent("sd.safetensors")
            let s = try BenchResult.best(of: repeats) { try Safetensors.write(pairs, metadata: ["format": "pt"], to: file, fsync: true) }
            try? FileManager.default.removeItem(at: file)
            let ckptDir = work.appendingPathComponent("ckpt")
            let checkpoint = ConvertCommand.checkpoint(model: sd)
            let c = try BenchResult.best(of: repeats) {
                try? FileManager.default.removeItem(at: ckptDir)
                try CheckpointStore.save(checkpoint, to: ckptDir, fsync: true)
            }
            try? FileManager.default.removeItem(at: ckptDir)
            r["save\(mb)MB_s"] = s
            r["save\(mb)MB_MBps"] = bytes / s / 1e6
            r["checkpoint_save\(mb)MB_s"] = c
        }
        if json { try r.printJSON() } else { r.printTable(title: "scaling (threads \(threads))") }
    }

    /// ms per Adam step of the MLP 784-w-w-10 at `batch`, timed as `TrainBench` does.
    static func stepMs(width: Int, batch: Int, steps: Int, warm: Int) -> Double {
        var rng = RandomGenerator(seed: 0)
        let model = BenchInferCommand.mlp(width: width, rng: &rng)
        let x = rng.normal([batch, 784])
        let y = Tensor(indices: (0..<batch).map { _ in rng.nextInt(below: 10) })
        return TrainBench.time(model: model, x: x, y: y, steps: steps, warm: warm)
    }
}
