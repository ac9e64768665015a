import ArgumentParser
import Data
import Foundation

/// `cairn bench data`: images per second an `ImageFolder` of 28×28 grayscale PNGs yields through
/// the `DataLoader` (read + decode + scale + batch), with background workers.
struct BenchDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Images/s of ImageFolder (28x28 gray PNG) decode + batch through the DataLoader.",
        discussion: """
        Writes --images PNG files (the shapes demo dataset, 7 classes) to a temporary folder, scans
        it once (scan_s), then runs shuffled epochs with batch --batch-size, --workers background
        threads and 2×workers batches prefetched; images_per_s is the best epoch (files in the page
        cache, as in a multi-epoch run). No PyTorch side: the target is absolute (20,000 images/s
        on 2 cores).
        JSON keys: images, images_per_s, epoch_s, scan_s, batch_size, workers, cores.
        Examples:
          cairn bench data --json
          cairn bench data --images 5000 --workers 1
        """)

    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Images in the generated folder.") var images = 21_000
    @Option(help: "Examples per batch.") var batchSize = 256
    @Option(help: "Background loader threads.") var workers = 2
    @Option(help: "Epochs timed (the best counts).") var epochs = 3
    @Option(help: "Directory for the temporary folder.") var dir = NSTemporaryDirectory()
    @Flag(help: "A few hundred images (a smoke test).") var quick = false

    func validate() throws {
        guard images >= 7, batchSize >= 1, workers >= 1, epochs >= 1 else {
            throw ValidationError("--images must be at least 7, --batch-size, --workers and --epochs at least 1")
        }
    }

    func run() throws {
        let count = quick ? 210 : images
        let root = URL(fileURLWithPath: dir).appendingPathComponent("cairn-bench-data-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let classes = ShapesDataset.shapes
        try ShapesDataset.draw(to: root, classes: classes, perClass: count / classes.count, size: 28, seed: 0)

        var r = BenchResult()
        var folder: ImageFolder?
        r["scan_s"] = try BenchResult.best(of: 1) { folder = try ImageFolder(root: root, config: .init(height: 28, width: 28)) }
        let dataset = folder!
        let loader = try DataLoader(dataset: dataset, config: .init(batchSize: batchSize, shuffle: true,
                                                                     prefetch: 2 * workers, workers: workers))
        var seen = 0
        let epochSeconds = try BenchResult.best(of: quick ? 1 : epochs) {
            seen = 0
            while let b = try loader.next() { seen += b.count }
        }
        guard seen == dataset.count else {
            throw CLIError.failed("the loader produced \(seen) of \(dataset.count) images in \(root.path)")
        }
        r["images"] = Double(seen)
        r["epoch_s"] = epochSeconds
        r["images_per_s"] = Double(seen) / epochSeconds
        r["batch_size"] = Double(batchSize)
        r["workers"] = Double(workers)
        r["cores"] = Double(ProcessInfo.processInfo.activeProcessorCount)
        if json { try r.printJSON() } else { r.printTable(title: "data loading: ImageFolder 28x28 gray PNG") }
    }
}
