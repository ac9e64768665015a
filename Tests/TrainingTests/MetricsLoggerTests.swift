import Foundation
import XCTest
import Checkpoint
@testable import Training

/// The logger's TensorBoard scalars: tags and values, fresh starts, and what TensorBoard shows after a resume.
final class MetricsLoggerTests: XCTestCase {
    private var directories: [URL] = []

    override func tearDown() {
        for d in directories { try? FileManager.default.removeItem(at: d) }
        directories = []
        super.tearDown()
    }

    func temporaryDirectory() throws -> URL {
        let url = try makeTemporaryDirectory("mlog")
        directories.append(url)
        return url
    }

    private func tbDirectory(_ run: URL) -> URL { run.appendingPathComponent("tb") }

    /// (tag, step, value bits) of the points TensorBoard's Python loader shows for `run`, wall times dropped.
    private func visible(_ run: URL) throws -> [String] {
        try TensorBoardReader.visibleScalars(inDirectory: tbDirectory(run)).map(Self.point)
    }

    private static func point(_ s: TensorBoardReader.Scalar) -> String {
        "\(s.tag)@\(s.step)=\(Float(s.value).isNaN ? "nan" : "\(Float(s.value))")"
    }

    private func logTrain(_ log: MetricsLogger, _ steps: ClosedRange<Int>, scale: Double = 1) throws {
        for s in steps { try log.log(kind: "train", step: s, epoch: 0, values: [("loss", scale / Double(s)), ("lr", 0.1)]) }
    }

    func testEveryLoggedValueBecomesAScalar() throws {
        let run = try temporaryDirectory()
        let log = try MetricsLogger(runDirectory: run, keepRecords: 0, host: "h")
        try log.log(kind: "train", step: 1, epoch: 0, values: [("loss", 2.5), ("lr", 0.01), ("grad_norm", .nan)])
        try log.log(kind: "train", step: 2, epoch: 0, values: [("loss", .infinity), ("lr", 0.01), ("skipped", 1)])
        try log.log(kind: "val", step: 2, epoch: 1, values: [("val_accuracy", 0.75), ("val_loss", 0.3)])
        XCTAssertNil(log.tensorBoardError)
        XCTAssertEqual(log.tensorBoardURL.deletingLastPathComponent().lastPathComponent, "tb")
        XCTAssertTrue(log.tensorBoardURL.lastPathComponent.hasPrefix("events.out.tfevents."))
        XCTAssertTrue(log.tensorBoardURL.lastPathComponent.hasSuffix(".h"))

        let events = try TensorBoardReader.events(at: log.tensorBoardURL)
        XCTAssertEqual(events.count, 5)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        XCTAssertEqual(events[1].sessionStatus, TensorBoardWriter.SessionStatus.start.rawValue)
        XCTAssertEqual(events[1].step, 0)
        XCTAssertEqual(try TensorBoardReader.scalars(at: log.tensorBoardURL).map(Self.point), [
            "train/loss@1=2.5", "train/lr@1=0.01", "train/grad_norm@1=nan",
            "train/loss@2=inf", "train/lr@2=0.01", "train/skipped@2=1.0",
            "val/val_accuracy@2=0.75", "val/val_loss@2=0.3",
        ])
        // One event per record, so the values of a record share its step and time.
        XCTAssertEqual(events[2...].map(\.scalars.count), [3, 3, 2])
        XCTAssertTrue(events[2...].allSatisfy { e in e.scalars.allSatisfy { $0.wallTime == e.wallTime && $0.wallTime > 1e9 } })
    }

    func testFreshStartDeletesOldEventFilesOnly() throws {
        let run = try temporaryDirectory()
        do { try logTrain(try MetricsLogger(runDirectory: run, keepRecords: 0, host: "h"), 1...4) }
        let notes = tbDirectory(run).appendingPathComponent("notes.txt")
        try Data("keep me".utf8).write(to: notes)
        let log = try MetricsLogger(runDirectory: run, keepRecords: 0, host: "h")
        try logTrain(log, 1...2, scale: 3)
        XCTAssertEqual(try TensorBoardReader.eventFiles(in: tbDirectory(run)), [log.tensorBoardURL])
        XCTAssertTrue(FileManager.default.fileExists(atPath: notes.path))
        XCTAssertEqual(try visible(run), ["train/loss@1=3.0", "train/lr@1=0.1", "train/loss@2=1.5", "train/lr@2=0.1"])
    }

    /// A killed run logged steps 7…10 after its checkpoint at 6; the resumed one opens a second file
    /// whose START purges them, so TensorBoard shows the same points as the JSONL.
    func testResumeStartsANewFileThatPurgesOrphanedSteps() throws {
        let run = try temporaryDirectory()
        let first: URL
        do {
            let log = try MetricsLogger(runDirectory: run, keepRecords: 0, host: "h")
            try logTrain(log, 1...10)
            first = log.tensorBoardURL
        }
        let resumed = try MetricsLogger(runDirectory: run, keepRecords: 6, host: "h")
        XCTAssertEqual(resumed.recordCount, 6)
        try logTrain(resumed, 7...9, scale: 5)

        let files = try TensorBoardReader.eventFiles(in: tbDirectory(run))
        XCTAssertEqual(files.count, 2)
        XCTAssertEqual(files.first, first)
        XCTAssertEqual(files.last, resumed.tensorBoardURL, "the resumed file sorts last")
        let events = try TensorBoardReader.events(at: resumed.tensorBoardURL)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        XCTAssertEqual(events[1].sessionStatus, 1)
        XCTAssertEqual(events[1].step, 7, "purges from the first cut record's step")
        XCTAssertEqual(events.count, 2 + 3, "no kept record needs rewriting")

        var expected: [String] = []
        for s in 1...6 { expected += ["train/loss@\(s)=\(Float(1 / Double(s)))", "train/lr@\(s)=0.1"] }
        for s in 7...9 { expected += ["train/loss@\(s)=\(Float(5 / Double(s)))", "train/lr@\(s)=0.1"] }
        XCTAssertEqual(try visible(run), expected)
        // The JSONL agrees with what TensorBoard shows.
        XCTAssertEqual(try logText(run).split(separator: "\n").count, 9)
    }

    /// The cut record is a validation at the same step as the last kept training record: the START
    /// must purge that step, so the kept training record is written again after it.
    func testResumeRewritesKeptRecordsAtThePurgedStep() throws {
        let run = try temporaryDirectory()
        do {
            let log = try MetricsLogger(runDirectory: run, keepRecords: 0, host: "h")
            try logTrain(log, 1...7)
            try log.log(kind: "val", step: 7, epoch: 1, values: [("val_loss", 9), ("val_accuracy", .nan)])
            try log.log(kind: "train", step: 8, epoch: 1, values: [("loss", 9), ("lr", 0.1)])
        }
        let resumed = try MetricsLogger(runDirectory: run, keepRecords: 7, host: "h")
        try resumed.log(kind: "val", step: 7, epoch: 1, values: [("val_loss", 0.5), ("val_accuracy", 0.25)])
        let events = try TensorBoardReader.events(at: resumed.tensorBoardURL)
        XCTAssertEqual(events[1].sessionStatus, 1)
        XCTAssertEqual(events[1].step, 7)
        XCTAssertEqual(events[2].scalars.map(Self.point), ["train/loss@7=\(Float(1.0 / 7))", "train/lr@7=0.1"])

        var expected: [String] = []
        for s in 1...7 { expected += ["train/loss@\(s)=\(Float(1 / Double(s)))", "train/lr@\(s)=0.1"] }
        expected += ["val/val_loss@7=0.5", "val/val_accuracy@7=0.25"]
        XCTAssertEqual(try visible(run), expected)
    }

    /// Without event files (deleted, or a run from before TensorBoard logging), a resume writes every kept record.
    func testResumeWithoutEventFilesRewritesTheKeptRecords() throws {
        let run = try temporaryDirectory()
        do {
            let log = try MetricsLogger(runDirectory: run, keepRecords: 0, host: "h")
            try logTrain(log, 1...5)
            try log.log(kind: "val", step: 5, epoch: 0, values: [("val_loss", .infinity)])
        }
        try FileManager.default.removeItem(at: tbDirectory(run))
        let resumed = try MetricsLogger(runDirectory: run, keepRecords: 6, host: "h")
        var expected: [String] = []
        for s in 1...5 { expected += ["train/loss@\(s)=\(Float(1 / Double(s)))", "train/lr@\(s)=0.1"] }
        expected.append("val/val_loss@5=nan")  // the JSONL keeps null for ±inf
        XCTAssertEqual(try TensorBoardReader.scalars(at: resumed.tensorBoardURL).map(Self.point), expected)
        XCTAssertEqual(try TensorBoardReader.events(at: resumed.tensorBoardURL)[1].step, 6)
    }

    func testResumeKeepingEverythingPurgesNothing() throws {
        let run = try temporaryDirectory()
        do { try logTrain(try MetricsLogger(runDirectory: run, keepRecords: 0, host: "h"), 1...3) }
        let log = try MetricsLogger(runDirectory: run, keepRecords: nil, host: "h")
        try logTrain(log, 4...4)
        XCTAssertEqual(try TensorBoardReader.events(at: log.tensorBoardURL)[1].step, 4)
        XCTAssertEqual(try visible(run).count, 8)
    }

    func testLineHelpers() {
        let data = Data("{\"kind\":\"train\",\"step\":12,\"epoch\":0,\"loss\":0.5}\n{\"kind\":\"val\",\"step\":-3,\"x\":null}\n{\"ki".utf8)
        let lines = MetricsLogger.completeLines(data)
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines.map { MetricsLogger.step(in: data[$0]) }, [12, -3])
        XCTAssertNil(MetricsLogger.step(in: Data("{\"kind\":\"train\"}".utf8)))
        let parsed = MetricsLogger.scalars(in: data[lines[0]])
        XCTAssertEqual(parsed?.step, 12)
        XCTAssertEqual(parsed?.values.map(\.tag), ["train/loss"])
        XCTAssertEqual(parsed?.values.map(\.value), [0.5])
        XCTAssertEqual(MetricsLogger.scalars(in: data[lines[1]])?.values.first?.value.isNaN, true)
        XCTAssertNil(MetricsLogger.scalars(in: Data("not json".utf8)))
    }

    // MARK: - Through the trainer

    /// A run killed after its checkpoint at step 15 (it logged 16 and 17) and resumed shows TensorBoard
    /// the same points as an uninterrupted run; the event files hold the JSONL's values.
    func testTrainerResumeShowsTheUninterruptedScalars() throws {
        let a = try temporaryDirectory(), b = try temporaryDirectory()
        func options(_ maxSteps: Int, _ dir: URL) -> TrainerOptions {
            var o = fixtureOptions(maxSteps: maxSteps, runDirectory: dir, everyNSteps: 5)
            o.checkpoint.saveOnEnd = false
            return o
        }
        try TrainerFixture().trainer(options(30, a)).fit()
        try TrainerFixture().trainer(options(17, b)).fit()
        let latest = try CheckpointManager(directory: b.appendingPathComponent("checkpoints"), schedule: .manual).latest()
        XCTAssertEqual(latest.checkpoint?.globalStep, 15)
        XCTAssertEqual(try TensorBoardReader.visibleScalars(inDirectory: tbDirectory(b)).filter { $0.tag == "train/loss" }.count, 17)
        try TrainerFixture().trainer(options(30, b)).fit(resume: .required)

        XCTAssertEqual(try TensorBoardReader.eventFiles(in: tbDirectory(b)).count, 2)
        let shownA = try visible(a), shownB = try visible(b)
        XCTAssertEqual(shownA.filter { $0.hasPrefix("train/loss@") }.count, 30)
        XCTAssertEqual(shownA.filter { $0.hasPrefix("val/") }.count, 2 * (30 / 7))
        XCTAssertEqual(shownA, shownB)
        XCTAssertEqual(try logText(a), try logText(b))

        // Each JSONL value is the scalar of tag <kind>/<key> at the record's step.
        var fromJSONL: [String] = []
        for line in try logText(a).split(separator: "\n") {
            let record = try XCTUnwrap(MetricsLogger.scalars(in: Data(line.utf8)))
            fromJSONL += record.values.map { Self.point(.init(tag: $0.tag, step: record.step, wallTime: 0, value: Double($0.value))) }
        }
        XCTAssertEqual(shownA.sorted(), fromJSONL.sorted())
    }
}
