import ArgumentParser
import Foundation

/// `cairn bench report`: runs every benchmark section with its PyTorch side and writes
/// `docs/benchmarks.md` (what `make bench` runs).
struct BenchReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Run all benchmarks (Cairn and PyTorch) and write docs/benchmarks.md.",
        discussion: """
        Writes the Markdown, the same numbers as JSON beside it (benchmarks.json), and, when matplotlib
        is importable, PNG plots of the scaling sweeps in bench/ beside it (scripts/plot_bench.py).
        Runs, each as a child process of this binary with --json (so one section's memory cannot
        skew another): train --compare, infer --compare, io --compare (--io-size-mb, default 512),
        scaling --compare (saves up to --max-save-mb, default 1024) and `dd conv=fsync` through
        scripts/torch_bench.py (WORKLOADS=dd), three times each (--passes), spread over the run,
        keeping every number's best (the machine's speed drifts for minutes at a time); and once
        each data, resume (--resume-size-mb, default 512) and memory --compare. A section that
        fails is reported as not measured and the command exits 1 after writing the file. --quick runs tiny sizes and skips train (a smoke test; the numbers
        mean nothing).
        Examples:
          cairn bench report
          cairn bench report --out /tmp/bench.md --quick
        """)

    @Option(help: "The Markdown file written.") var out = "docs/benchmarks.md"
    @Option(help: "Threads for BLAS and for torch.") var threads = 2
    @Option(help: "Path of shared/bench/torch_baseline.py (train and io baselines).") var baseline = "../shared/bench/torch_baseline.py"
    @Option(help: "Path of scripts/torch_bench.py.") var script = "scripts/torch_bench.py"
    @Option(help: "Path of scripts/plot_bench.py (draws PNGs into bench/ beside --out when matplotlib is importable).")
    var plotScript = "scripts/plot_bench.py"
    @Option(help: "State dict size of the io section and of dd, in MiB.") var ioSizeMb = 512
    @Option(help: "Checkpoint size of the resume section, in MiB.") var resumeSizeMb = 512
    @Option(help: "Largest state saved by the scaling section, in MiB.") var maxSaveMb = 1024
    @Option(help: "Directory for temporary files.") var dir = NSTemporaryDirectory()
    @Flag(help: "Tiny sizes, no train section (a smoke test).") var quick = false
    @Option(help: "Runs of train, infer, io, scaling and dd, spread over the report; each number keeps its best (default 3, 1 with --quick).")
    var passes: Int?

    func validate() throws {
        guard threads >= 1, ioSizeMb >= 1, resumeSizeMb >= 1, maxSaveMb >= 1 else {
            throw ValidationError("--threads and the sizes must be at least 1")
        }
        if let passes, passes < 1 { throw ValidationError("--passes must be at least 1, got \(passes)") }
    }

    func run() throws {
        var report = BenchReport()
        report.threads = threads
        report.command = "cairn bench report" + (quick ? " --quick" : "")
        let t = ["--threads", String(threads)]
        let ioSize = quick ? "1" : String(ioSizeMb)
        // Timed against PyTorch, these run in three passes spread over the report (about a minute
        // apart) and keep each number's best: the machines change speed for minutes at a time, so
        // back-to-back repeats can all land in one slow stretch.
        let repeated: [(String, [String])] = [
            ("train", ["train", "--json", "--compare", "--baseline", baseline] + t),
            ("infer", ["infer", "--json", "--compare", "--script", script] + t),
            ("io", ["io", "--json", "--compare", "--baseline", baseline, "--size-mb", ioSize, "--dir", dir]),
            ("scaling", ["scaling", "--json", "--compare", "--script", script, "--max-save-mb", String(maxSaveMb), "--dir", dir] + t),
        ].filter { !quick || $0.0 != "train" }.map { ($0.0, $0.1 + (quick && $0.0 != "io" ? ["--quick"] : [])) }
        let once: [(String, [String])] = [
            ("data", ["data", "--json", "--dir", dir]),
            ("resume", ["resume", "--json", "--size-mb", String(resumeSizeMb), "--dir", dir] + t),
            ("memory", ["memory", "--json", "--compare", "--script", script] + t),
        ].map { ($0.0, $0.1 + (quick ? ["--quick"] : [])) }
        if quick { report.problems["train"] = "skipped (--quick)" }
        let passes = self.passes ?? (quick ? 1 : 3)
        report.passes = passes
        var plan: [(String, [String])] = []
        for pass in 0..<passes {
            plan += repeated + [("dd", [])]
            // The single sections go between the passes.
            let share = (once.count + passes - 1) / passes
            plan += once[Swift.min(pass * share, once.count)..<Swift.min((pass + 1) * share, once.count)]
        }
        for (name, args) in plan {
            FileHandle.standardError.write(Data("bench report: \(name)…\n".utf8))
            let t0 = BenchResult.now()
            do {
                let values = name == "dd"
                    ? try BenchResult.runTorch(script: script, workloads: ["dd"], threads: threads, quick: quick,
                                               environment: ["SIZE_MB": quick ? "16" : String(ioSizeMb), "DIR": dir])
                    : try Self.runSection(["bench"] + args, threads: threads)
                report.record(name, values)
            } catch {
                report.problems[name] = "\(error)"
            }
            report.durations[name, default: 0] += BenchResult.now() - t0
        }
        report.torchVersion = Self.pythonOutput(["-c", "import torch; print(torch.__version__)"]) ?? ""
        report.plottingAvailable = Self.pythonOutput(["-c", "import matplotlib"]) != nil
        let url = URL(fileURLWithPath: out)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // The numbers as JSON beside the Markdown, then the plots drawn from them.
        let jsonURL = url.deletingPathExtension().appendingPathExtension("json")
        do { try report.jsonData().write(to: jsonURL, options: .atomic) } catch {
            throw CLIError.failed("cannot write \(jsonURL.path): \(error)")
        }
        if report.plottingAvailable {
            let plotDir = url.deletingLastPathComponent().appendingPathComponent("bench")
            let drawn = Self.pythonOutput([plotScript, jsonURL.path, plotDir.path]) ?? ""
            report.plots = drawn.split(separator: "\n").map { "bench/" + (String($0) as NSString).lastPathComponent }
        }
        do { try report.markdown().write(to: url, atomically: true, encoding: .utf8) } catch {
            throw CLIError.failed("cannot write \(url.path): \(error)")
        }
        print("wrote \(url.path)")
        for row in report.targetRows() {
            print(row.name.padding(toLength: 92, withPad: " ", startingAt: 0) + " " + row.result
                  + (row.met.map { $0 ? "  met" : "  NOT met" } ?? "  not measured"))
        }
        let failed = report.problems.filter { $0.value != "skipped (--quick)" }
        if !failed.isEmpty {
            throw CLIError.failed("sections not measured (see \(url.path)): "
                                  + failed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
        }
    }

    /// Runs `cairn <args>` (this binary) and parses the flat JSON object it prints.
    static func runSection(_ args: [String], threads: Int) throws -> [String: Double] {
        let r = try BenchResult.runJSON(ChildRun.executable, args, environment: ["THREADS": String(threads)])
        guard let values = r.values else {
            throw CLIError.failed("`cairn \(args.joined(separator: " "))` failed (exit \(r.status))")
        }
        return values
    }

    /// Trimmed stdout of `python3 <args>`, nil when it fails.
    static func pythonOutput(_ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }
}
