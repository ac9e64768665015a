import ArgumentParser
import Checkpoint
import Data
import Foundation
import NN
import Optimizers
import TensorCore
import Training

/// `cairn bench resume`: wall time of `Trainer.fit(resume: .required)` — find the latest checkpoint,
/// verify its checksums, restore model, Adam state and random streams, and put the data loader back
/// at its position — for checkpoints taken at several points of an epoch.
struct BenchResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Time a full resume (find latest + verify + restore state + data position) across an epoch.",
        discussion: """
        The run: an MLP 16-w-w-w-10 whose weights plus Adam moments total --size-mb MiB, trained on
        100,000 in-memory examples with batch 32 (3,125 batches per epoch). One real step makes the
        Adam state; then one run directory per position (0, 25, 50, 75 and 99 % of the epoch) gets a
        checkpoint (CheckpointStore.save with fsync) of that state at that loader position. Timed:
        `fit(resume: .required)` of a fresh Trainer whose max steps equal the checkpoint's step, so
        it stops right after the resume (model and trainer construction are not timed). Warm: the
        files are in the page cache (just written). Cold: each file was dropped from the page cache
        first (posix_fadvise DONTNEED), so the data comes from the disk.
        JSON keys: size_MB, batches_per_epoch, verify_s, resume_s and resume_cold_s (the slowest
        position), pos<P>_resume_s and pos<P>_resume_cold_s for P in 0 25 50 75 99.
        Examples:
          cairn bench resume --json
          cairn bench resume --size-mb 128
        """)

    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Checkpoint tensors (weights + Adam moments) in MiB.") var sizeMb = 512
    @Option(help: "Threads for BLAS.") var threads = 2
    @Option(help: "Directory for the temporary run directories.") var dir = NSTemporaryDirectory()
    @Flag(help: "An 8 MiB state and a small dataset (a smoke test).") var quick = false

    /// Positions in the epoch, in percent.
    static let positions = [0, 25, 50, 75, 99]

    func validate() throws {
        guard sizeMb >= 1 else { throw ValidationError("--size-mb must be at least 1") }
    }

    func run() throws {
        BLAS.setThreads(threads)
        let work = URL(fileURLWithPath: dir).appendingPathComponent("cairn-bench-resume-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let mb = quick ? 8 : sizeMb
        // weights + exp_avg + exp_avg_sq ≈ 3 · 4 bytes · 2w² for the two w×w layers that dominate.
        let width = max(16, Int((Double(mb) * 1_048_576 / 24).squareRoot()))
        var rng = RandomGenerator(seed: 7)
        let examples = quick ? 2_000 : 100_000
        let dataset = TensorDataset(inputs: rng.normal([examples, 16]), labels: (0..<examples).map { _ in rng.nextInt(below: 10) })

        // One real step, so the checkpoint holds real Adam moments and streams.
        let setup = try Self.trainer(width: width, seed: 1, data: dataset, maxSteps: 1, runDirectory: nil)
        try setup.fit()
        let perEpoch = setup.loader.batchesPerEpoch
        var runs: [(percent: Int, batch: Int, url: URL)] = []
        var bytes = 0
        for p in Self.positions {
            let b = min(perEpoch - 1, perEpoch * p / 100)
            var position = setup.loader.position
            position.epoch = 0
            position.batchIndex = b
            let ckpt = Checkpoint.capture(model: setup.model, optimizer: setup.optimizer, rng: setup.streams, epoch: 0,
                                          globalStep: b + 1, metrics: [:], loader: try JSONValue(encoding: position))
            let run = work.appendingPathComponent("pos\(p)")
            let url = run.appendingPathComponent("checkpoints/step-\(b + 1)")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try CheckpointStore.save(ckpt, to: url, fsync: true)
            bytes = Self.fileBytes(url)
            runs.append((p, b, run))
        }

        var r = BenchResult()
        r["size_MB"] = Double(bytes) / 1e6
        r["batches_per_epoch"] = Double(perEpoch)
        r["verify_s"] = try BenchResult.best(of: 1) { _ = try CheckpointStore.verify(runs[0].url.appendingPathComponent("checkpoints/step-1")) }
        for run in runs {
            for cold in [false, true] {
                if cold { Self.dropFromPageCache(run.url) }
                let trainer = try Self.trainer(width: width, seed: 2, data: dataset, maxSteps: run.batch + 1, runDirectory: run.url)
                let t0 = BenchResult.now()
                let result = try trainer.fit(resume: .required)
                let seconds = BenchResult.now() - t0
                guard result.resumedFrom != nil, trainer.loader.position.batchIndex == run.batch else {
                    throw CLIError.failed("the resume of \(run.url.path) did not land at batch \(run.batch) (at \(trainer.loader.position))")
                }
                r["pos\(run.percent)_resume\(cold ? "_cold" : "")_s"] = seconds
            }
        }
        let timed = r.values
        r["resume_s"] = Self.positions.compactMap { timed["pos\($0)_resume_s"] }.max()
        r["resume_cold_s"] = Self.positions.compactMap { timed["pos\($0)_resume_cold_s"] }.max()
        if json { try r.printJSON() } else { r.printTable(title: String(format: "resume of a %.0f MB checkpoint", r["size_MB"]!)) }
    }

    /// A trainer of the benchmark MLP with Adam, one checkpoint at the end, no signal handling.
    static func trainer(width: Int, seed: UInt64, data: any Dataset, maxSteps: Int, runDirectory: URL?) throws -> Trainer {
        var rng = RandomGenerator(seed: seed)
        let model = Sequential(Linear(16, width, rng: &rng), ReLU(), Linear(width, width, rng: &rng), ReLU(),
                               Linear(width, width, rng: &rng), ReLU(), Linear(width, 10, rng: &rng))
        let options = TrainerOptions(batchSize: 32, seed: 0, maxSteps: maxSteps, runDirectory: runDirectory, handleSignals: false)
        return try Trainer(model: model, optimizer: Adam(model.namedParameters(), lr: 1e-3), trainData: data, options: options)
    }

    /// Bytes of the regular files under `url`.
    static func fileBytes(_ url: URL) -> Int {
        let e = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.fileSizeKey])
        var total = 0
        while let f = e?.nextObject() as? URL { total += (try? f.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0) ?? 0 }
        return total
    }

    /// Asks the kernel to drop the (clean, fsynced) pages of every file under `url`, so the next
    /// read comes from the disk; no root needed, unlike /proc/sys/vm/drop_caches.
    static func dropFromPageCache(_ url: URL) {
        let e = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)
        while let f = e?.nextObject() as? URL {
            let fd = open(f.path, O_RDONLY)
            guard fd >= 0 else { continue }
            _ = fdatasync(fd)
            _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
            close(fd)
        }
    }
}
