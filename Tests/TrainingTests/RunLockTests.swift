import Foundation
import XCTest
@testable import Training

final class RunLockTests: XCTestCase {
    func testSecondLockIsRefusedNamingTheHolder() throws {
        let dir = try makeTemporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try RunLock(directory: dir)
        XCTAssertThrowsError(try RunLock(directory: dir)) { e in
            guard case let TrainerError.runLocked(path, pid, host)? = e as? TrainerError else { return XCTFail("\(e)") }
            XCTAssertTrue(path.hasSuffix(".lock"))
            XCTAssertEqual(pid, getpid())
            XCTAssertEqual(host, ProcessInfo.processInfo.hostName)
            XCTAssertTrue("\(e)".contains("pid \(getpid())"))
        }
        first.release()
        let again = try RunLock(directory: dir)
        again.release()
    }

    func testStaleLockOfDeadProcessIsTakenOver() throws {
        let dir = try makeTemporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "999999 somehost\n".write(to: dir.appendingPathComponent(".lock"), atomically: true, encoding: .utf8)
        let lock = try RunLock(directory: dir)
        XCTAssertEqual(lock.tookOverFrom, 999999)
        let text = try String(contentsOf: dir.appendingPathComponent(".lock"), encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("\(getpid()) "))
        lock.release()
    }

    func testTrainerRefusesALockedRunDirectory() throws {
        let dir = try makeTemporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lock = try RunLock(directory: dir)
        defer { lock.release() }
        let f = TrainerFixture()
        XCTAssertThrowsError(try f.trainer(fixtureOptions(maxSteps: 2, runDirectory: dir)).fit()) { e in
            guard case TrainerError.runLocked? = e as? TrainerError else { return XCTFail("\(e)") }
        }
    }
}
