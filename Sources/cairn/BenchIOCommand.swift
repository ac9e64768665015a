import ArgumentParser
import Checkpoint
import Foundation
import NN
import TensorCore

/// `cairn bench io`: save/load throughput of each checkpoint format and the step-time cost of an
/// asynchronous save, on the state dict `shared/bench/torch_baseline.py` uses.
struct BenchIOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "io",
        abstract: "Save (with fsync) and load MB/s of safetensors, .pth and checkpoint directories; async-save stall.",
        discussion: """
        State dict: the baseline's 64 float32 tensors, --size-mb MiB in all. Each
        rate is the best of 3 repeats in MB/s (10^6 bytes). Loads touch every
        element (a sum), except pth_load, which like torch.load only reads.
        checkpoint_load verifies SHA-256 checksums.

        What each pair runs (Cairn, then PyTorch):
          safetensors_save  Safetensors.write + fsync (temp file, rename, dir fsync)
                            save_file + fsync
          safetensors_load  SafetensorsFile(contentsOf:) + sum: private read-only
                            mapping, tensors borrow it
                            load_file + sum: private copy-on-write mapping,
                            tensors are views of it
          safetensors_read  SafetensorsFile(contentsOf:, mmap: false) + sum: each
                            tensor pread into its own storage
                            load_file(backend="pread") + sum
          load_mmap_touch   the safetensors mmap load + sum
                            torch.load(.pth, mmap=True) + sum
          pth_save          TorchFile.write + fsync (CRC-32 of every record)
                            torch.save + fsync (CRC-32 of every record)
          pth_load          TorchFile.read (checks every record's CRC-32)
                            torch.load(weights_only=True) (checks none)

        async_stall_ratio: extra time a loop of 256x256 matmul steps takes while
        an AsyncCheckpointWriter save is in flight, over the time of the same save
        done synchronously (0 = no stall, 1 = as bad as blocking).
        --compare runs the baseline with WORKLOADS=io SIZE_MB=N, plus a short
        script for load_file(backend="pread") (skipped if safetensors lacks it),
        and prints cairn/torch ratios (above 1: Cairn faster); --rounds N runs
        both sides N times, alternating, and each keeps its best.
        Examples:
          cairn bench io --size-mb 64
          cairn bench io --json --compare --baseline ../shared/bench/torch_baseline.py
        """)

    @Option(help: "State dict size in MiB.") var sizeMb = 256
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Also run the PyTorch baseline and print Cairn/PyTorch ratios.") var compare = false
    @Option(help: "Path of torch_baseline.py.") var baseline = "../shared/bench/torch_baseline.py"
    @Option(help: "Directory for the temporary files.") var dir = NSTemporaryDirectory()
    @OptionGroup var roundsOptions: RoundsOptions
    var rounds: Int { roundsOptions.rounds }

    /// Cairn keys and the baseline keys they compare with.
    static let pairs = [("safetensors_save_MBps", "safetensors_save_MBps"), ("safetensors_load_MBps", "safetensors_load_MBps"),
                        ("safetensors_read_MBps", "safetensors_load_pread_MBps"),
                        ("load_mmap_touch_MBps", "torch_load_mmap_touch_MBps"), ("pth_save_MBps", "torch_save_MBps"),
                        ("pth_load_MBps", "torch_load_MBps")]

    func validate() throws {
        guard sizeMb >= 1 else { throw ValidationError("--size-mb must be at least 1") }
    }

    func run() throws {
        let work = URL(fileURLWithPath: dir).appendingPathComponent("cairn-bench-io-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let sd = Self.stateDict(sizeMB: sizeMb)
        let nbytes = sd.pairs.reduce(0) { $0 + $1.1.count * 4 }
        func rate(_ body: () throws -> Void) rethrows -> Double {
            var best = Double.infinity
            for _ in 0..<3 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            return Double(nbytes) / best / 1e6
        }
        let pairs = sd.pairs.map { (name: $0.0, tensor: $0.1) }
        let st = work.appendingPathComponent("sd.safetensors")
        let pth = work.appendingPathComponent("sd.pth")
        let ckpt = work.appendingPathComponent("ckpt")
        let checkpoint = ConvertCommand.checkpoint(model: sd)
        let value = TorchCheckpointLayout.value(from: sd)
        let (mine, torch) = try BenchResult.interleaved(rounds: rounds, cairn: {
            var r: [String: Double] = [:]
            r["safetensors_save_MBps"] = try rate { try Safetensors.write(pairs, metadata: ["format": "pt"], to: st, fsync: true) }
            r["safetensors_load_MBps"] = try rate {
                for (_, t) in try SafetensorsFile(contentsOf: st).tensors() { _ = Self.sum(t) }
            }
            r["safetensors_read_MBps"] = try rate {
                for (_, t) in try SafetensorsFile(contentsOf: st, mmap: false).tensors() { _ = Self.sum(t) }
            }
            r["load_mmap_touch_MBps"] = try rate {
                for (_, t) in try SafetensorsFile(contentsOf: st, mmap: true).tensors() { _ = Self.sum(t) }
            }
            r["pth_save_MBps"] = try rate { try TorchFile.write(value, to: pth, fsync: true) }
            r["pth_load_MBps"] = try rate { _ = try TorchFile.read(contentsOf: pth) }
            let saveRate = try rate { try CheckpointStore.save(checkpoint, to: ckpt, fsync: true) }
            r["checkpoint_save_MBps"] = saveRate
            r["checkpoint_load_MBps"] = try rate {
                for (_, t) in try CheckpointStore.load(from: ckpt).model { _ = Self.sum(t) }
            }
            r["async_stall_ratio"] = try Self.asyncStall(checkpoint, dir: work.appendingPathComponent("async"),
                                                         syncSeconds: Double(nbytes) / saveRate / 1e6)
            return r
        }, torch: compare ? {
            var torch = try Self.runBaseline(script: baseline, sizeMB: sizeMb)
            torch.merge(try Self.runPreadBaseline(dir: work, sizeMB: sizeMb)) { a, _ in a }
            return torch
        } : nil)
        var r = mine
        r["size_MB"] = Double(nbytes) / 1e6
        r["rounds"] = Double(rounds)
        if let torch {
            for (k, v) in torch { r["torch_" + k.replacingOccurrences(of: "torch_", with: "")] = v }
            for (mine, theirs) in Self.pairs {
                if let t = torch[theirs], let m = r[mine], t > 0 { r[mine.replacingOccurrences(of: "_MBps", with: "_ratio")] = m / t }
            }
        }
        if json {
            try JSONOutput.print(.object(r.mapValues { .number(($0 * 1000).rounded() / 1000) }))
            return
        }
        print(String(format: "state dict: 64 float32 tensors, %.1f MB", r["size_MB"]!))
        print("metric                     cairn MB/s" + (compare ? "    torch MB/s   ratio" : ""))
        for key in ["safetensors_save_MBps", "safetensors_load_MBps", "safetensors_read_MBps", "load_mmap_touch_MBps", "pth_save_MBps",
                    "pth_load_MBps", "checkpoint_save_MBps", "checkpoint_load_MBps"] {
            var line = key.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: "%11.1f", r[key]!)
            if let theirs = Self.pairs.first(where: { $0.0 == key })?.1,
               let t = compare ? r["torch_" + theirs.replacingOccurrences(of: "torch_", with: "")] : nil {
                line += String(format: "   %11.1f   %5.2fx", t, r[key]! / t)
            }
            print(line)
        }
        print(String(format: "async_stall_ratio          %11.3f", r["async_stall_ratio"]!))
    }

    /// The baseline's state dict: `layers.<i>.weight`, 64 float32 vectors of sizeMB·2^20/256 elements.
    static func stateDict(sizeMB: Int) -> StateDict {
        let n = sizeMB * 1024 * 1024 / 4 / 64
        var g = RandomGenerator(seed: 0)
        return StateDict((0..<64).map { ("layers.\($0).weight", g.normal([n])) })
    }

    /// Sum of a float32 tensor's elements (reads every byte, like the baseline's `t.sum()`).
    static func sum(_ t: Tensor) -> Float {
        GradMode.noGrad { t.sum().item }
    }

    /// Extra step-loop time while an async save runs, over the synchronous save time.
    static func asyncStall(_ checkpoint: Checkpoint, dir: URL, syncSeconds: Double) throws -> Double {
        let saved = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(saved) }
        var g = RandomGenerator(seed: 1)
        let a = g.normal([256, 256]), b = g.normal([256, 256])
        func step() { _ = GradMode.noGrad { a.matmul(b) } }
        for _ in 0..<10 { step() }
        let n0 = 100
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<n0 { step() }
        let perStep = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(n0)
        let writer = AsyncCheckpointWriter()
        let start = DispatchTime.now().uptimeNanoseconds
        try writer.submit(label: "bench") { try CheckpointStore.save(checkpoint, to: dir, fsync: true) }
        var steps = 0
        while writer.isBusy { step(); steps += 1 }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try writer.finish()
        return max(0, elapsed - Double(steps) * perStep) / syncSeconds
    }

    /// `load_file(backend="pread")` + sum, which `torch_baseline.py` does not measure: the PyTorch
    /// side of `safetensors_read` (Cairn's non-mmap load). Prints `{}` when safetensors lacks the backend.
    static let preadBaseline = """
    import json, os, time, torch
    from safetensors.torch import save_file, load_file
    torch.set_num_threads(int(os.environ.get("THREADS", torch.get_num_threads())))
    n = int(os.environ["SIZE_MB"]) * 1024 * 1024 // 4 // 64
    sd = {f"layers.{i}.weight": torch.randn(n) for i in range(64)}
    nbytes = sum(t.numel() * 4 for t in sd.values())
    q = os.path.join(os.environ["DIR"], "pread.safetensors")
    save_file(sd, q)
    out = {}
    try:
        best = 1e9
        for _ in range(3):
            t0 = time.perf_counter()
            [t.sum() for t in load_file(q, backend="pread").values()]
            best = min(best, time.perf_counter() - t0)
        out["safetensors_load_pread_MBps"] = nbytes / best / 1e6
    except TypeError:
        pass
    os.remove(q)
    print(json.dumps(out))
    """

    /// Runs `preadBaseline` from a file in `dir`; numbers by key.
    static func runPreadBaseline(dir: URL, sizeMB: Int) throws -> [String: Double] {
        let script = dir.appendingPathComponent("pread_baseline.py")
        try preadBaseline.write(to: script, atomically: true, encoding: .utf8)
        let threads = Int(ProcessInfo.processInfo.environment["THREADS"] ?? "") ?? 2
        return try TrainBench.runBaseline(script: script.path, threads: threads,
                                          environment: ["SIZE_MB": String(sizeMB), "DIR": dir.path])
    }

    /// Runs the PyTorch baseline's io workload; numbers by key.
    static func runBaseline(script: String, sizeMB: Int) throws -> [String: Double] {
        let threads = Int(ProcessInfo.processInfo.environment["THREADS"] ?? "") ?? 2
        return try TrainBench.runBaseline(script: script, threads: threads,
                                          environment: ["WORKLOADS": "io", "SIZE_MB": String(sizeMB)])
    }
}
