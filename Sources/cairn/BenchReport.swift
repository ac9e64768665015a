import Foundation

/// The `docs/benchmarks.md` writer: turns the JSON of every `cairn bench` section (and of the
/// PyTorch sides they ran) into a target table and one detail table per section.
struct BenchReport {
    /// Numbers of each section by its subcommand name (`train`, `io`, `infer`, `data`, `resume`,
    /// `scaling`, `memory`, `dd`).
    var sections: [String: [String: Double]] = [:]
    /// Sections that failed or were skipped, with the reason.
    var problems: [String: String] = [:]
    /// Wall seconds each section took.
    var durations: [String: Double] = [:]
    /// The machine: CPU model name.
    var cpu = BenchResult.cpuModel()
    /// Logical cores the OS reports.
    var cores = ProcessInfo.processInfo.activeProcessorCount
    /// Threads given to BLAS and to torch.set_num_threads.
    var threads = 2
    /// The PyTorch version the baselines ran with ("" when unknown).
    var torchVersion = ""
    /// Whether matplotlib was importable (the only plotting route considered).
    var plottingAvailable = false
    /// PNG plots drawn by scripts/plot_bench.py, as paths relative to the Markdown file.
    var plots: [String] = []
    /// The command line that produced the report.
    var command = "cairn bench report"
    /// When the report was produced.
    var date = Date()
    /// How many times the sections timed against PyTorch (train, infer, io, scaling, dd) ran.
    var passes = 1

    /// Adds one run of `section`: the first run's numbers as they are; after that each key keeps
    /// its best (the highest rate, else the lowest time or ratio), and the per-run Cairn/PyTorch
    /// ratios are dropped, since the target table computes ratios from the best numbers.
    mutating func record(_ section: String, _ values: [String: Double]) {
        guard let earlier = sections[section] else { sections[section] = values; return }
        var merged = BenchResult.keepBest(earlier, values)
        for k in Array(merged.keys) where k.hasSuffix("_ratio") && k != "async_stall_ratio" { merged[k] = nil }
        sections[section] = merged
    }

    /// One line of the target table.
    struct Row {
        var name: String
        var cairn: String
        var reference: String
        var result: String
        var target: String
        var met: Bool?
    }

    /// A number of a section, nil when the section or key is missing.
    func value(_ section: String, _ key: String) -> Double? { sections[section]?[key] }

    /// The rows of the target table, in the order of the performance issue.
    func targetRows() -> [Row] {
        var rows: [Row] = []
        func time(_ name: String, _ section: String, _ mine: String, _ theirs: String, max limit: Double) {
            let m = value(section, mine), t = value(section, theirs)
            let ratio = m.flatMap { m in t.map { m / $0 } }
            rows.append(Row(name: name, cairn: Self.ms(m), reference: Self.ms(t), result: Self.times(ratio, "time"),
                            target: String(format: "≤ %.2g× PyTorch time", limit), met: ratio.map { $0 <= limit }))
        }
        func speed(_ name: String, _ section: String, _ mine: String, _ refSection: String, _ theirs: String,
                   min limit: Double, refName: String) {
            let m = value(section, mine), t = value(refSection, theirs)
            let ratio = m.flatMap { m in t.map { m / $0 } }
            rows.append(Row(name: name, cairn: Self.mbps(m), reference: Self.mbps(t) + " (\(refName))",
                            result: Self.times(ratio, "speed"),
                            target: limit == 0.8 ? "≥ 80 % of \(refName)" : String(format: "≥ %.2g× \(refName)", limit),
                            met: ratio.map { $0 >= limit }))
        }
        time("Train step, MLP 784-512-512-10, batch 128, Adam", "train", "mlp_ms_per_step", "torch_mlp_ms_per_step", max: 0.5)
        time("Train step, CNN conv-conv-fc, batch 64, Adam", "train", "cnn_ms_per_step", "torch_cnn_ms_per_step", max: 0.8)
        for (model, label) in [("mlp", "MLP"), ("cnn", "CNN")] {
            for b in [1, 256] {
                time("Inference (eval, no grad), \(label), batch \(b)", "infer", "\(model)_b\(b)_ms", "torch_\(model)_b\(b)_ms", max: 0.7)
            }
        }
        let size = value("io", "size_MB").map { String(format: "%.0f MiB", $0 * 1e6 / 1_048_576) } ?? "512 MiB"
        speed("Save \(size) state dict + fsync: Safetensors.write", "io", "safetensors_save_MBps", "io",
              "torch_safetensors_save_MBps", min: 1.0, refName: "save_file+fsync")
        speed("Save \(size) + fsync: CheckpointStore.save (SHA-256 manifest)", "io", "checkpoint_save_MBps", "io",
              "torch_safetensors_save_MBps", min: 1.0, refName: "save_file+fsync")
        speed("Save \(size) + fsync: Safetensors.write vs disk", "io", "safetensors_save_MBps", "dd", "dd_fsync_MBps",
              min: 0.8, refName: "dd conv=fsync")
        speed("Save \(size) + fsync: CheckpointStore.save vs disk", "io", "checkpoint_save_MBps", "dd", "dd_fsync_MBps",
              min: 0.8, refName: "dd conv=fsync")
        let mmap = value("io", "safetensors_load_MBps")
        rows.append(Row(name: "Load \(size) safetensors, mmap (every element summed)", cairn: Self.mbps(mmap),
                        reference: Self.mbps(value("io", "torch_safetensors_load_MBps")) + " (load_file)",
                        result: mmap.map { String(format: "%.1f GB/s", $0 / 1000) } ?? "n/a",
                        target: "≥ 10 GB/s", met: mmap.map { $0 >= 10_000 }))
        speed("Load \(size) safetensors, full read (no mmap)", "io", "safetensors_read_MBps", "io",
              "torch_safetensors_load_MBps", min: 1.0, refName: "load_file")
        // The default load_file is a copy-on-write mmap; its own full-read mode is the like-for-like pair.
        speed("Load \(size) safetensors, full read (no mmap) vs a full read by safetensors", "io", "safetensors_read_MBps", "io",
              "torch_safetensors_load_pread_MBps", min: 1.0, refName: "load_file(backend=\"pread\")")
        speed(".pth save \(size) + fsync", "io", "pth_save_MBps", "io", "torch_save_MBps", min: 1.0, refName: "torch.save+fsync")
        speed(".pth load \(size)", "io", "pth_load_MBps", "io", "torch_load_MBps", min: 1.0, refName: "torch.load")
        let stall = value("io", "async_stall_ratio")
        rows.append(Row(name: "Async save: extra step time / sync save time", cairn: stall.map { String(format: "%.1f %%", $0 * 100) } ?? "n/a",
                        reference: "sync save", result: stall.map { String(format: "%.1f %%", $0 * 100) } ?? "n/a",
                        target: "≤ 10 %", met: stall.map { $0 <= 0.10 }))
        let rsize = value("resume", "size_MB").map { String(format: "%.0f MiB", $0 * 1e6 / 1_048_576) } ?? "512 MiB"
        for (key, label) in [("resume_s", "page cache warm"), ("resume_cold_s", "page cache dropped")] {
            let s = value("resume", key)
            rows.append(Row(name: "Resume \(rsize) (find latest + verify + restore + data position), \(label), slowest position",
                            cairn: s.map { String(format: "%.3f s", $0) } ?? "n/a", reference: "—",
                            result: s.map { String(format: "%.3f s", $0) } ?? "n/a", target: "≤ 1.5 s at every position",
                            met: s.map { $0 <= 1.5 }))
        }
        let ips = value("data", "images_per_s")
        rows.append(Row(name: "Data: ImageFolder 28×28 PNG decode + batch", cairn: ips.map { String(format: "%.0f images/s", $0) } ?? "n/a",
                        reference: "—", result: ips.map { String(format: "%.0f images/s on %d cores", $0, cores) } ?? "n/a",
                        target: "≥ 20,000 images/s on 2 cores", met: ips.map { $0 >= 20_000 }))
        let rss = value("memory", "peak_rss_MB"), trss = value("memory", "torch_peak_rss_MB")
        let rr = rss.flatMap { a in trss.map { a / $0 } }
        rows.append(Row(name: "Peak RSS training the MLP", cairn: rss.map { String(format: "%.0f MB", $0) } ?? "n/a",
                        reference: trss.map { String(format: "%.0f MB", $0) } ?? "n/a", result: Self.times(rr, "memory"),
                        target: "≤ 1× PyTorch", met: rr.map { $0 <= 1.0 }))
        return rows
    }

    /// The whole Markdown document.
    func markdown() -> String {
        var md = "# Benchmarks\n\n"
        md += "_Generated by `\(command)` (`make bench`); do not edit by hand — rerun the command._\n\n"
        let f = ISO8601DateFormatter()
        md += "- Date: \(f.string(from: date))\n"
        md += "- CPU: \(cpu), \(cores) logical cores; threads: \(threads) (OpenBLAS for Cairn, `torch.set_num_threads` for PyTorch)\n"
        md += "- PyTorch: \(torchVersion.isEmpty ? "unknown" : torchVersion) (CPU); Cairn built with `swift build -c release`\n"
        md += "- Each section ran as its own process (`cairn bench <section> --json`), PyTorch in the same invocation; "
        md += "times are best-of-N, see each section.\n"
        if passes > 1 {
            md += "- train, infer, io, scaling and dd ran \(passes) times, spread over the report, and each number is its best over "
                + "those runs (ratios are taken between the bests): these machines change speed for minutes at a time.\n"
        }
        if !durations.isEmpty {
            let total = durations.values.reduce(0, +)
            md += String(format: "- Wall time: %.0f s (", total)
                + durations.keys.sorted().map { $0 + String(format: " %.0f s", durations[$0]!) }.joined(separator: ", ") + ")\n"
        }
        md += "\n## Targets\n\n"
        md += "| Benchmark | Cairn | Reference | Result | Target | Met |\n|---|---|---|---|---|---|\n"
        for r in targetRows() {
            let met = r.met.map { $0 ? "yes" : "**no**" } ?? "not measured"
            md += "| \(r.name) | \(r.cairn) | \(r.reference) | \(r.result) | \(r.target) | \(met) |\n"
        }
        if !problems.isEmpty {
            md += "\nNot measured:\n\n"
            for k in problems.keys.sorted() { md += "- `\(k)`: \(problems[k]!)\n" }
        }
        md += detailSections()
        md += "\n## Plots\n\n"
        if !plots.isEmpty {
            md += "Drawn by `scripts/plot_bench.py` from `benchmarks.json` (the same numbers as the tables).\n\n"
            for p in plots { md += "![\((p as NSString).lastPathComponent)](\(p))\n\n" }
        } else {
            md += plottingAvailable
                ? "matplotlib is importable, but scripts/plot_bench.py drew nothing (see the command's stderr); the tables above hold the data.\n"
                : "No plots: matplotlib is not installed (`make bench` installs it from PyPI). The scaling tables above hold the same data.\n"
        }
        return md
    }

    /// Every section's numbers, the input of scripts/plot_bench.py.
    func jsonData() throws -> Data {
        let doc = sections.mapValues { $0.mapValues { $0.isFinite ? $0 : 0 } }
        return try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
    }

    /// The per-section tables.
    func detailSections() -> String {
        var md = ""
        if let s = sections["scaling"] {
            md += "\n## Scaling: MLP train step against batch size (width 512)\n\n"
            md += Self.sweepTable(s, keys: BenchScalingCommand.batches.map { ("\($0)", "batch\($0)_ms") }, label: "batch")
            md += "\n## Scaling: MLP train step against hidden width (784-w-w-10, batch 128)\n\n"
            md += Self.sweepTable(s, keys: BenchScalingCommand.widths.map { ("\($0)", "width\($0)_ms") }, label: "width")
            md += "\n## Scaling: save time against state size (float32, 64 tensors, with fsync)\n\n"
            md += "| state | Safetensors.write s | MB/s | CheckpointStore.save s |\n|---|---|---|---|\n"
            for mb in [1, 2] + BenchScalingCommand.saveSizes {
                guard let t = s["save\(mb)MB_s"] else { continue }
                md += String(format: "| %d MiB | %.3f | %.0f | ", mb, t, s["save\(mb)MB_MBps"] ?? 0)
                    + Self.seconds(s["checkpoint_save\(mb)MB_s"]) + " |\n"
            }
            let largest = ([1, 2] + BenchScalingCommand.saveSizes).filter { s["save\($0)MB_s"] != nil }.max() ?? 0
            if largest > 0, largest < 2048 {
                md += "\nCapped at \(largest) MiB (not 2 GiB) to keep `make bench` within its time budget on 2 cores; "
                md += "`cairn bench scaling --max-save-mb 2048` adds the 2 GiB point.\n"
            }
        }
        if let s = sections["resume"] {
            md += "\n## Resume time against position in the epoch\n\n"
            md += String(format: "Checkpoint: %.0f MB (MLP weights + Adam moments), %.0f batches per epoch; ", s["size_MB"] ?? 0,
                         s["batches_per_epoch"] ?? 0)
            md += String(format: "`CheckpointStore.verify` alone: %.3f s.\n\n", s["verify_s"] ?? 0)
            md += "| position | warm s | cold s |\n|---|---|---|\n"
            for p in BenchResumeCommand.positions {
                md += "| \(p) % | " + Self.seconds(s["pos\(p)_resume_s"]) + " | " + Self.seconds(s["pos\(p)_resume_cold_s"]) + " |\n"
            }
        }
        for (name, title) in [("train", "Train (`cairn bench train --compare`)"), ("infer", "Inference (`cairn bench infer --compare`)"),
                              ("io", "Checkpoint I/O (`cairn bench io --compare`)"), ("data", "Data loading (`cairn bench data`)"),
                              ("memory", "Peak RSS (`cairn bench memory --compare`)"), ("dd", "Disk (`dd conv=fsync`)")] {
            guard let s = sections[name] else { continue }
            md += "\n## Raw: \(title)\n\n| key | value |\n|---|---|\n"
            for k in s.keys.sorted() { md += "| \(k) | " + String(format: "%.4g", s[k]!) + " |\n" }
        }
        return md
    }

    /// A sweep table: point, Cairn ms, PyTorch ms, ratio.
    static func sweepTable(_ s: [String: Double], keys: [(String, String)], label: String) -> String {
        var md = "| \(label) | Cairn ms/step | PyTorch ms/step | Cairn/PyTorch |\n|---|---|---|---|\n"
        for (point, key) in keys where s[key] != nil {
            let t = s["torch_" + key]
            md += "| \(point) | " + ms(s[key]) + " | " + ms(t) + " | " + times(t.map { s[key]! / $0 }, "") + " |\n"
        }
        return md
    }

    static func ms(_ v: Double?) -> String { v.map { String(format: "%.3f ms", $0) } ?? "n/a" }
    static func mbps(_ v: Double?) -> String { v.map { String(format: "%.0f MB/s", $0) } ?? "n/a" }
    static func seconds(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }
    static func times(_ v: Double?, _ what: String) -> String {
        v.map { String(format: "%.2f×", $0) + (what.isEmpty ? "" : " " + what) } ?? "n/a"
    }
}
