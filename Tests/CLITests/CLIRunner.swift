import Foundation
import XCTest

/// Runs the built `cairn` executable and captures its output.
enum CLIRunner {
    /// What one invocation produced.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// Stdout parsed as a JSON object.
        func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
            let obj = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            return try XCTUnwrap(obj as? [String: Any], "stdout is not a JSON object: \(stdout)", file: file, line: line)
        }
    }

    /// The `cairn` binary in the build products directory beside the test bundle.
    static func executable() throws -> URL {
        var dirs: [URL] = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        for b in Bundle.allBundles where b.bundlePath.hasSuffix(".xctest") {
            dirs.append(b.bundleURL.deletingLastPathComponent())
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let u = URL(fileURLWithPath: exe).deletingLastPathComponent()
            dirs += [u, u.deletingLastPathComponent(), u.deletingLastPathComponent().deletingLastPathComponent()]
        }
        for d in dirs {
            let c = d.appendingPathComponent("cairn")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: c.path, isDirectory: &isDir), !isDir.boolValue,
               FileManager.default.isExecutableFile(atPath: c.path) { return c }
        }
        throw CocoaError(.fileNoSuchFile)
    }

    /// Runs `cairn args…`; fails the test with a clear message when the binary has not been built.
    static func run(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let exe: URL
        do { exe = try executable() } catch {
            XCTFail("the cairn executable was not found next to the test bundle (\(Bundle.main.bundlePath)); run `swift build` first",
                    file: file, line: line)
            throw error
        }
        return try process(exe, args).result
    }

    /// Runs any executable with `args` (in `cwd` when given, stdin empty), reading stdout and stderr
    /// concurrently so a full pipe cannot block the child; also says whether a signal ended it and
    /// how long it took.
    static func process(_ exe: URL, _ args: [String], cwd: URL? = nil)
        throws -> (result: Result, signaled: Bool, seconds: Double) {
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        let start = DispatchTime.now()
        try p.run()
        var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return (Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self)),
                p.terminationReason == .uncaughtSignal, seconds)
    }

    /// `/work/shared/specs/fixtures/<relative>`, found from this file's location (Tests/CLITests/ → repo → ../shared).
    static func sharedFixture(_ relative: String) -> String {
        URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/specs/fixtures").appendingPathComponent(relative).path
    }

    /// A fresh temporary directory removed by the test's teardown.
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: u) }
        return u
    }
}
