import Checkpoint
import Foundation

/// One benchmark's numbers by key, printed as a flat JSON object (what `cairn bench report` and the
/// CLI tests read) or as a plain table; plus the timing and PyTorch-baseline plumbing the
/// `bench infer|data|resume|scaling|memory` commands share.
struct BenchResult {
    /// The numbers, e.g. `mlp_b1_ms`, `torch_mlp_b1_ms`, `mlp_b1_ratio`.
    var values: [String: Double] = [:]

    /// The number under `key`.
    subscript(key: String) -> Double? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// Adds `torch_<key>` for every baseline number and `<stem>_ratio` (Cairn over PyTorch) for
    /// every `keys` entry both sides measured; a ratio below 1 means Cairn is faster for times.
    mutating func merge(torch: [String: Double], ratios keys: [String]) {
        for (k, v) in torch { values["torch_" + k] = v }
        for k in keys {
            guard let mine = values[k], let theirs = torch[k], theirs > 0 else { continue }
            values[Self.ratioKey(k)] = mine / theirs
        }
    }

    /// `mlp_b1_ms` → `mlp_b1_ratio`.
    static func ratioKey(_ key: String) -> String {
        for suffix in ["_ms", "_s", "_MB", "_MBps"] where key.hasSuffix(suffix) {
            return String(key.dropLast(suffix.count)) + "_ratio"
        }
        return key + "_ratio"
    }

    /// Prints the values as one JSON object with sorted keys, rounded to 4 decimals.
    func printJSON() throws {
        try JSONOutput.print(.object(values.mapValues { .number(($0 * 10_000).rounded() / 10_000) }))
    }

    /// Prints `key  value` lines in key order, for the human-readable form.
    func printTable(title: String) {
        print(title)
        for k in values.keys.sorted() {
            print(k.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%14.4f", values[k]!))
        }
    }

    /// Whether a larger value of `key` is the better one: rates (`_MBps`, `_per_s`); times, sizes
    /// and stall ratios are better smaller.
    static func higherIsBetter(_ key: String) -> Bool {
        key.hasSuffix("_MBps") || key.hasSuffix("_per_s")
    }

    /// `best` with every key of `run` merged in, keeping the better value where both have one.
    static func keepBest(_ best: [String: Double]?, _ run: [String: Double]) -> [String: Double] {
        var merged = best ?? [:]
        for (k, v) in run {
            merged[k] = merged[k].map { higherIsBetter(k) ? Swift.max($0, v) : Swift.min($0, v) } ?? v
        }
        return merged
    }

    /// Runs `rounds` rounds of Cairn's measurement and then PyTorch's (when given), keeping each
    /// key's best value over the rounds on each side (`keepBest`): these machines drift between
    /// speeds for minutes at a time, and alternating the sides keeps either from being timed only
    /// in a slow stretch.
    static func interleaved(rounds: Int, cairn: () throws -> [String: Double],
                            torch: (() throws -> [String: Double])?) throws -> (cairn: [String: Double], torch: [String: Double]?) {
        var mine: [String: Double]?, theirs: [String: Double]?
        for _ in 0..<max(rounds, 1) {
            mine = keepBest(mine, try cairn())
            if let torch { theirs = keepBest(theirs, try torch()) }
        }
        return (mine ?? [:], theirs)
    }

    /// Seconds since an arbitrary start (monotonic).
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The best (smallest) wall time in seconds of `repeats` runs of `body`.
    static func best(of repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<max(repeats, 1) {
            let t0 = now()
            try body()
            best = min(best, now() - t0)
        }
        return best
    }

    /// Runs `scripts/torch_bench.py` (or `script`) with `WORKLOADS`, `THREADS` and `QUICK` set and
    /// returns its numbers by key.
    static func runTorch(script: String, workloads: [String], threads: Int, quick: Bool,
                         environment: [String: String] = [:]) throws -> [String: Double] {
        guard FileManager.default.fileExists(atPath: script) else {
            throw CLIError.failed("the PyTorch benchmark script \(script) does not exist (run from the repository root or pass --script)")
        }
        var env = environment
        env["WORKLOADS"] = workloads.joined(separator: ",")
        env["QUICK"] = quick ? "1" : "0"
        return try TrainBench.runBaseline(script: script, threads: threads, environment: env)
    }

    /// Runs `exe args…` with `environment` added to this process's, and parses the flat JSON object
    /// of numbers it prints; `values` is nil when it failed or printed something else.
    static func runJSON(_ exe: URL, _ args: [String], environment: [String: String])
        throws -> (status: Int32, values: [String: Double]?) {
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return (p.terminationStatus, nil) }
        return (0, obj.compactMapValues { ($0 as? NSNumber)?.doubleValue })
    }

    /// The CPU model name from /proc/cpuinfo ("unknown" elsewhere).
    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }
}
