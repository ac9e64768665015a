import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shows training progress: a redrawn bar with rate and ETA on a terminal, plain lines every
/// `every` steps otherwise (logs, CI).
public struct ProgressReporter {
    /// Steps the run will take in total, when known.
    public var total: Int?
    /// Whether stdout is a terminal (bar mode).
    public let isTTY: Bool
    /// Plain-line interval in steps.
    public var every: Int
    private var startStep: Int = 0
    private var startTime: Double = 0
    private let write: (String) -> Void

    /// A reporter for `total` steps; `write` defaults to stdout.
    public init(total: Int?, every: Int = 50, isTTY: Bool = isatty(1) != 0,
                write: @escaping (String) -> Void = { s in fputs(s, stdout); fflush(stdout) }) {
        self.total = total
        self.isTTY = isTTY
        self.every = max(1, every)
        self.write = write
    }

    /// Marks the start (or the resume point) for the rate.
    public mutating func start(at step: Int) {
        startStep = step
        startTime = ProgressReporter.now()
    }

    /// Reports one step.
    public func update(step: Int, epoch: Int, loss: Float) {
        let elapsed = ProgressReporter.now() - startTime
        let rate = elapsed > 0 ? Double(step - startStep) / elapsed : 0
        let lossText = String(format: "%.4f", loss)
        if isTTY {
            var line = "\r"
            if let total, total > 0 {
                let width = 30, filled = min(width, width * step / total)
                line += "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "] "
                line += "\(step)/\(total)"
                if rate > 0 { line += " " + ProgressReporter.duration(Double(total - step) / rate) + " left" }
            } else {
                line += "step \(step)"
            }
            line += String(format: " %.1f it/s", rate) + " epoch \(epoch) loss \(lossText)"
            write(line + (total == step ? "\n" : ""))
        } else if step % every == 0 || step == total {
            var line = "step \(step)" + (total.map { "/\($0)" } ?? "") + " epoch \(epoch) loss \(lossText)"
            line += String(format: " %.1f it/s", rate)
            if let total, rate > 0 { line += " eta " + ProgressReporter.duration(Double(total - step) / rate) }
            write(line + "\n")
        }
    }

    /// A line of its own (epoch summaries), ending a bar in progress first.
    public func message(_ text: String) { write((isTTY ? "\n" : "") + text + "\n") }

    /// "1h02m", "3m05s" or "12s".
    static func duration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "?" }
        let t = Int(s.rounded())
        if t >= 3600 { return String(format: "%dh%02dm", t / 3600, (t % 3600) / 60) }
        if t >= 60 { return String(format: "%dm%02ds", t / 60, t % 60) }
        return "\(t)s"
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
