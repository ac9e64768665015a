import Foundation
import XCTest
@testable import Checkpoint

/// A thread-safe event log for ordering assertions (no timing involved).
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [String] = []
    private var inFlight = 0
    private(set) var maxInFlight = 0

    func add(_ e: String) { lock.lock(); events.append(e); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return events }
    func index(_ e: String) -> Int? { all.firstIndex(of: e) }
    func enter() { lock.lock(); inFlight += 1; maxInFlight = max(maxInFlight, inFlight); lock.unlock() }
    func leave() { lock.lock(); inFlight -= 1; lock.unlock() }
    var peak: Int { lock.lock(); defer { lock.unlock() }; return maxInFlight }
}

struct FakeWriteError: Error, CustomStringConvertible {
    var what: String
    var description: String { "disk full while writing \(what)" }
}

final class AsyncCheckpointWriterTests: XCTestCase {
    func testCallerContinuesWhileJobRuns() throws {
        let w = AsyncCheckpointWriter()
        let started = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        let log = EventLog()
        try w.submit(label: "a") {
            started.signal()
            gate.wait()
            log.add("written")
        }
        started.wait()
        // The job is blocked on the gate, yet submit returned: the training loop goes on.
        log.add("training")
        XCTAssertTrue(w.isBusy)
        XCTAssertEqual(w.completedCount, 0)
        gate.signal()
        try w.finish()
        XCTAssertFalse(w.isBusy)
        XCTAssertEqual(w.completedCount, 1)
        XCTAssertEqual(log.all, ["training", "written"])
    }

    func testJobsKnowTheyRunOnTheWriterThread() throws {
        // A save on the writer thread hashes inline (one core); everywhere else it may use two.
        XCTAssertFalse(AsyncCheckpointWriter.isWriterThread)
        let w = AsyncCheckpointWriter()
        let log = EventLog()
        try w.submit(label: "a") { log.add(AsyncCheckpointWriter.isWriterThread ? "writer" : "other") }
        try w.finish()
        XCTAssertEqual(log.all, ["writer"])
    }

    func testSecondSubmitWaitsForFirst() throws {
        let w = AsyncCheckpointWriter()
        let log = EventLog()
        let started = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        try w.submit(label: "a") {
            log.enter(); started.signal(); gate.wait()
            log.add("a-end"); log.leave()
        }
        started.wait()
        let secondReturned = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            log.add("b-submit")
            try? w.submit(label: "b") { log.enter(); log.add("b-run"); log.leave() }
            log.add("b-returned")
            secondReturned.signal()
        }
        // Wait (by condition, not by clock) until the second caller is blocked inside submit.
        while w.waitingCallers == 0 { Thread.sleep(forTimeInterval: 0.001) }
        XCTAssertNil(log.index("b-returned"), "submit returned while a write was in flight")
        XCTAssertNil(log.index("b-run"))
        gate.signal()
        secondReturned.wait()
        try w.finish()
        let events = log.all
        XCTAssertEqual(Set(events), ["a-end", "b-submit", "b-returned", "b-run"])
        XCTAssertLessThan(log.index("a-end")!, log.index("b-returned")!, "submit must wait for the write in flight")
        XCTAssertLessThan(log.index("a-end")!, log.index("b-run")!)
        XCTAssertEqual(log.peak, 1)
        XCTAssertEqual(w.completedCount, 2)
    }

    func testManyJobsRunInOrderOneAtATime() throws {
        let w = AsyncCheckpointWriter()
        let log = EventLog()
        for i in 0..<20 {
            try w.submit(label: "j\(i)") { log.enter(); log.add("j\(i)"); log.leave() }
        }
        try w.finish()
        XCTAssertEqual(log.all, (0..<20).map { "j\($0)" })
        XCTAssertEqual(log.peak, 1)
    }

    func testFailureSurfacesAtNextSubmitAndItsJobIsNotRun() throws {
        let w = AsyncCheckpointWriter()
        let log = EventLog()
        try w.submit(label: "ckpt-a") { throw FakeWriteError(what: "ckpt-a") }
        XCTAssertThrowsError(try w.submit(label: "ckpt-b") { log.add("b") }) { error in
            guard case let .asyncSaveFailed(name, underlying) = error as? CheckpointManagerError else {
                return XCTFail("wrong error \(error)")
            }
            XCTAssertEqual(name, "ckpt-a")
            XCTAssertTrue(underlying is FakeWriteError)
            XCTAssertTrue("\(error)".contains("ckpt-a"))
            XCTAssertTrue("\(error)".contains("disk full"))
        }
        // Reported once: the writer is usable again.
        try w.submit(label: "ckpt-c") { log.add("c") }
        try w.finish()
        XCTAssertEqual(log.all, ["c"])
    }

    func testFailureSurfacesAtFinishOnce() throws {
        let w = AsyncCheckpointWriter()
        try w.submit(label: "ckpt-x") { throw FakeWriteError(what: "ckpt-x") }
        XCTAssertThrowsError(try w.finish()) { error in
            guard case let .asyncSaveFailed(name, _) = error as? CheckpointManagerError else {
                return XCTFail("wrong error \(error)")
            }
            XCTAssertEqual(name, "ckpt-x")
        }
        XCTAssertNoThrow(try w.finish())
        XCTAssertEqual(w.completedCount, 1)
    }

    func testFinishOnIdleWriterReturns() throws {
        let w = AsyncCheckpointWriter()
        try w.finish()
        XCTAssertFalse(w.isBusy)
        XCTAssertEqual(w.completedCount, 0)
    }
}
