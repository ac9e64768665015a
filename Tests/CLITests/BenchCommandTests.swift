import Foundation
import XCTest

/// The `cairn bench infer|data|resume|scaling|memory|report` commands in their `--quick` modes:
/// the JSON keys are there and every measured value is positive (timings are never asserted).
final class BenchCommandTests: XCTestCase {
    /// The repository root, found from this file's location (Tests/CLITests/ → repo).
    static let repo = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `cairn bench <args>`, expects exit 0 and returns the JSON object printed.
    func bench(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let r = try CLIRunner.run(["bench"] + args)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return try r.json(file: file, line: line)
    }

    /// Asserts that every key is a number above zero.
    func assertPositive(_ obj: [String: Any], _ keys: [String], file: StaticString = #filePath, line: UInt = #line) {
        for k in keys {
            let v = (obj[k] as? NSNumber)?.doubleValue
            XCTAssertNotNil(v, "missing key \(k) in \(obj.keys.sorted())", file: file, line: line)
            XCTAssertGreaterThan(v ?? 0, 0, k, file: file, line: line)
        }
    }

    func testInferQuickReportsEveryModelAndBatch() throws {
        let obj = try bench(["infer", "--json", "--quick", "--threads", "1"])
        assertPositive(obj, ["mlp_b1_ms", "mlp_b256_ms", "cnn_b1_ms", "cnn_b256_ms"])
        XCTAssertEqual((obj["threads"] as? NSNumber)?.intValue, 1)
        XCTAssertNil(obj["torch_mlp_b1_ms"], "no PyTorch numbers without --compare")
        // Several rounds: the same keys, each the best over the rounds, and the count recorded.
        let rounds = try bench(["infer", "--json", "--quick", "--threads", "1", "--rounds", "2"])
        assertPositive(rounds, ["mlp_b1_ms", "mlp_b256_ms", "cnn_b1_ms", "cnn_b256_ms"])
        XCTAssertEqual((rounds["rounds"] as? NSNumber)?.intValue, 2)
    }

    func testIOTwoRoundsKeepsEveryRate() throws {
        let dir = try CLIRunner.temporaryDirectory(self)
        let obj = try bench(["io", "--json", "--size-mb", "1", "--rounds", "2", "--dir", dir.path])
        assertPositive(obj, ["safetensors_save_MBps", "safetensors_load_MBps", "safetensors_read_MBps", "pth_save_MBps",
                             "pth_load_MBps", "checkpoint_save_MBps", "checkpoint_load_MBps", "size_MB"])
        XCTAssertNotNil(obj["async_stall_ratio"])
        XCTAssertEqual((obj["rounds"] as? NSNumber)?.intValue, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "the work directory is removed")
    }

    func testDataQuickLoadsEveryImage() throws {
        let dir = try CLIRunner.temporaryDirectory(self)
        let obj = try bench(["data", "--json", "--quick", "--dir", dir.path, "--batch-size", "64"])
        assertPositive(obj, ["images", "images_per_s", "epoch_s", "scan_s", "workers", "cores"])
        XCTAssertEqual((obj["images"] as? NSNumber)?.intValue, 210)
        XCTAssertEqual((obj["batch_size"] as? NSNumber)?.intValue, 64)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "the generated folder is removed")
    }

    func testResumeQuickTimesEveryPosition() throws {
        let dir = try CLIRunner.temporaryDirectory(self)
        let obj = try bench(["resume", "--json", "--quick", "--dir", dir.path])
        let positions = [0, 25, 50, 75, 99]
        assertPositive(obj, ["size_MB", "batches_per_epoch", "verify_s", "resume_s", "resume_cold_s"]
                       + positions.flatMap { ["pos\($0)_resume_s", "pos\($0)_resume_cold_s"] })
        let warm = positions.compactMap { (obj["pos\($0)_resume_s"] as? NSNumber)?.doubleValue }
        XCTAssertEqual((obj["resume_s"] as? NSNumber)?.doubleValue ?? 0, warm.max() ?? -1, accuracy: 1e-3,
                       "resume_s is the slowest position")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "the run directories are removed")
    }

    func testScalingQuickCoversTheSweeps() throws {
        let dir = try CLIRunner.temporaryDirectory(self)
        let obj = try bench(["scaling", "--json", "--quick", "--dir", dir.path])
        assertPositive(obj, ["batch16_ms", "batch32_ms", "width128_ms", "width256_ms", "save1MB_s", "save1MB_MBps",
                             "save2MB_s", "checkpoint_save1MB_s", "checkpoint_save2MB_s"])
    }

    func testMemoryQuickMeasuresAChildProcess() throws {
        let obj = try bench(["memory", "--json", "--quick"])
        assertPositive(obj, ["peak_rss_MB"])
        XCTAssertEqual((obj["steps"] as? NSNumber)?.intValue, 3)
    }

    func testReportQuickWritesTheTargetTableWithPyTorchSides() throws {
        let dir = try CLIRunner.temporaryDirectory(self)
        let out = dir.appendingPathComponent("docs/benchmarks.md")
        let r = try CLIRunner.run(["bench", "report", "--quick", "--out", out.path, "--dir", dir.path,
                                   "--script", Self.repo.appendingPathComponent("scripts/torch_bench.py").path,
                                   "--plot-script", Self.repo.appendingPathComponent("scripts/plot_bench.py").path,
                                   "--baseline", Self.repo.appendingPathComponent("../shared/bench/torch_baseline.py").path])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        let md = try String(contentsOf: out, encoding: .utf8)
        // The numbers beside it as JSON (the plots' input), one object per section.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("docs/benchmarks.json")))
        let sections = try XCTUnwrap(json as? [String: [String: Double]])
        XCTAssertNotNil(sections["scaling"]?["batch16_ms"])
        XCTAssertNotNil(sections["resume"]?["pos0_resume_s"])
        // Plots exactly when matplotlib is importable here; each drawn PNG is linked from the Markdown.
        let pngs = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("docs/bench").path)) ?? []
        for png in pngs { XCTAssertTrue(md.contains("(bench/\(png))"), png) }
        XCTAssertEqual(pngs.isEmpty, md.contains("No plots") || md.contains("drew nothing"))
        for text in ["# Benchmarks", "## Targets", "| Benchmark | Cairn | Reference | Result | Target | Met |",
                     "Inference (eval, no grad), MLP, batch 1", "Resume", "images/s", "dd conv=fsync", "CPU: ",
                     "## Scaling: MLP train step against batch size", "## Resume time against position in the epoch",
                     "## Plots", "train`: skipped (--quick)"] {
            XCTAssertTrue(md.contains(text), "missing \"\(text)\" in:\n\(md)")
        }
        // The PyTorch sides ran: inference and memory rows have a ratio, not "n/a".
        let inferRow = md.split(separator: "\n").first { $0.hasPrefix("| Inference (eval, no grad), MLP, batch 256") }
        XCTAssertNotNil(inferRow)
        XCTAssertTrue(inferRow?.contains("× time") ?? false, String(inferRow ?? ""))
        let rssRow = md.split(separator: "\n").first { $0.hasPrefix("| Peak RSS") }
        XCTAssertTrue(rssRow?.contains("× memory") ?? false, String(rssRow ?? ""))
    }

    func testReportKeepsTheBestOfSeveralPasses() throws {
        let dir = try CLIRunner.temporaryDirectory(self)
        let out = dir.appendingPathComponent("bench.md")
        let r = try CLIRunner.run(["bench", "report", "--quick", "--passes", "2", "--out", out.path, "--dir", dir.path,
                                   "--script", Self.repo.appendingPathComponent("scripts/torch_bench.py").path,
                                   "--plot-script", Self.repo.appendingPathComponent("scripts/plot_bench.py").path,
                                   "--baseline", Self.repo.appendingPathComponent("../shared/bench/torch_baseline.py").path])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertEqual(r.stderr.components(separatedBy: "bench report: io…").count - 1, 2, r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "bench report: data…").count - 1, 1, r.stderr)
        let md = try String(contentsOf: out, encoding: .utf8)
        XCTAssertTrue(md.contains("ran 2 times"), md)
        // Per-run ratios are dropped once runs are merged; the target table computes them from the bests.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("bench.json")))
        let io = try XCTUnwrap((json as? [String: [String: Double]])?["io"])
        XCTAssertNotNil(io["checkpoint_save_MBps"])
        XCTAssertEqual(io.keys.filter { $0.hasSuffix("_ratio") && $0 != "async_stall_ratio" }, [])
        let row = md.split(separator: "\n").first { $0.hasPrefix("| .pth save") }
        XCTAssertTrue(row?.contains("× speed") ?? false, String(row ?? ""))
        let bad = try CLIRunner.run(["bench", "report", "--passes", "0"])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--passes must be at least 1"), bad.stderr)
    }

    func testBadSizesAreUsageErrors() throws {
        for args in [["bench", "resume", "--size-mb", "0"], ["bench", "data", "--images", "3"], ["bench", "infer", "--threads", "0"],
                     ["bench", "scaling", "--max-save-mb", "0"]] {
            let r = try CLIRunner.run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.isEmpty, "\(args)")
        }
        for args in [["bench", "train", "--rounds", "0"], ["bench", "infer", "--rounds=-1"], ["bench", "io", "--rounds", "0"]] {
            let r = try CLIRunner.run(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--rounds must be at least 1"), r.stderr)
        }
        // An unknown workload is a usage error that names the value and the choices.
        let r = try CLIRunner.run(["bench", "train", "--workload", "gpu"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("'gpu'") && r.stderr.contains("all, mlp or cnn"), r.stderr)
    }
}
