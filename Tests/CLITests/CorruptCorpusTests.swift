import Foundation
import XCTest

/// Runs every case of the corrupt and malicious input corpus (scripts/make_corrupt_corpus.py) through
/// the `cairn` binary under a memory limit and a time limit.
final class CorruptCorpusTests: XCTestCase {
    /// One entry of cases.json.
    struct Case: Decodable {
        var name: String
        var args: [String]
        var expect_status: Int32
        var expect: [String]
        var what: String
    }

    /// How one run ended.
    struct Outcome {
        var status: Int32
        var signaled: Bool
        var stderr: String
        var seconds: Double
    }

    /// Address-space limit for each run: far above what a well-behaved read of these small files
    /// needs, far below what expanding a bomb would take.
    static let addressSpaceLimit = 2_000_000_000
    /// Wall-clock limit a case must finish within.
    static let timeLimit: Double = 5
    /// The run is killed after this long, so a hang fails the test instead of stalling it.
    static let killAfter = 30

    static var repoRoot: URL {
        URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    func testEveryCorpusCaseFailsCleanly() throws {
        guard Self.python3HasTorch() else { throw XCTSkip("python3 with torch and safetensors is not available") }
        let exe = try CLIRunner.executable()
        let out = try CLIRunner.temporaryDirectory(self)
        let gen = try Self.runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                      ["python3", Self.repoRoot.appendingPathComponent("scripts/make_corrupt_corpus.py").path,
                                       out.path, "--cairn", exe.path], cwd: Self.repoRoot)
        XCTAssertEqual(gen.status, 0, "the corpus generator failed: \(gen.stderr)")
        guard gen.status == 0 else { return }
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: out.appendingPathComponent("cases.json")))
        XCTAssertGreaterThanOrEqual(cases.filter { $0.expect_status != 0 }.count, 40)

        var failures: [String] = []
        for c in cases {
            let before = try Self.snapshot(out)
            let r = try Self.runLimited(exe, c.args, cwd: out)
            var problems = Self.problems(of: r, expecting: c.expect_status, substrings: c.expect)
            let after = try Self.snapshot(out)
            if before != after { problems.append("files changed: \(Self.describeChange(before, after))") }
            if !problems.isEmpty {
                failures.append("\(c.name) (\(c.what)): \(problems.joined(separator: "; "))\n    stderr: \(r.stderr.prefix(400))")
            }
        }
        XCTAssertTrue(failures.isEmpty,
                      "\(failures.count) of \(cases.count) corpus cases failed:\n" + failures.joined(separator: "\n"))
    }

    /// The shared spec's bad fixtures through `cairn verify`, read in place.
    func testSharedBadFixturesFailCleanly() throws {
        let exe = try CLIRunner.executable()
        let dirs = ["safetensors", "pth"].map { URL(fileURLWithPath: CLIRunner.sharedFixture($0)) }
        var failures: [String] = []
        var count = 0
        for dir in dirs {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { continue }
            for name in names.sorted() where name.hasPrefix("bad_") || name.hasPrefix("reject_") {
                count += 1
                let before = try Self.snapshot(dir)
                let r = try Self.runLimited(exe, ["verify", name], cwd: dir)
                var problems = Self.problems(of: r, expecting: 1, substrings: [name])
                if try Self.snapshot(dir) != before { problems.append("files changed") }
                if !problems.isEmpty { failures.append("\(name): \(problems.joined(separator: "; ")) — \(r.stderr.prefix(300))") }
            }
        }
        guard count > 0 else { throw XCTSkip("no shared fixtures at \(dirs[0].deletingLastPathComponent().path)") }
        XCTAssertTrue(failures.isEmpty, "\(failures.count) of \(count) shared fixtures failed:\n" + failures.joined(separator: "\n"))
    }

    /// What is wrong with an outcome: the exit status, a crash, a slow run, or a message that does
    /// not name what it should.
    static func problems(of r: Outcome, expecting status: Int32, substrings: [String]) -> [String] {
        var p: [String] = []
        if r.signaled { p.append("killed by signal \(r.status)") }
        else if r.status == 124 || r.status == 137 { p.append("killed after \(killAfter) s") }
        else if r.status != status { p.append("exit status \(r.status), expected \(status)") }
        if r.seconds >= timeLimit { p.append(String(format: "took %.1f s (limit %.0f s)", r.seconds, timeLimit)) }
        guard status != 0 else { return p }
        if !r.stderr.hasPrefix("cairn: error:") { p.append("stderr does not start with 'cairn: error:'") }
        for s in substrings where !r.stderr.contains(s) { p.append("stderr lacks '\(s)'") }
        for bad in ["Fatal error", "Stack dump", "Backtrace", "Segmentation"] where r.stderr.contains(bad) {
            p.append("stderr shows a crash ('\(bad)')")
        }
        if r.stderr.split(separator: "\n").count > 3 { p.append("stderr has more than 3 lines") }
        return p
    }

    /// Every file and folder under `root` with its size (folders: -1).
    static func snapshot(_ root: URL) throws -> [String: Int] {
        var result: [String: Int] = [:]
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: root.path) else { return result }
        while let rel = e.nextObject() as? String {
            let attrs = try fm.attributesOfItem(atPath: root.appendingPathComponent(rel).path)
            let isDir = (attrs[.type] as? FileAttributeType) == .typeDirectory
            result[rel] = isDir ? -1 : (attrs[.size] as? Int ?? 0)
        }
        return result
    }

    static func describeChange(_ a: [String: Int], _ b: [String: Int]) -> String {
        let added = b.keys.filter { a[$0] == nil }.sorted()
        let removed = a.keys.filter { b[$0] == nil }.sorted()
        let resized = a.keys.filter { b[$0] != nil && b[$0] != a[$0] }.sorted()
        return "added \(added.prefix(5)), removed \(removed.prefix(5)), resized \(resized.prefix(5))"
    }

    /// True when this test process (and so the `cairn` built beside it) runs under AddressSanitizer
    /// or ThreadSanitizer, whose shadow memory needs terabytes of address space.
    static let underAddressSanitizer: Bool = {
        let runtimes: [String] = ["__asan_init", "__tsan_init"]
        return runtimes.contains { dlsym(dlopen(nil, RTLD_NOW), $0) != nil }
    }()

    /// `cairn args…` with `cwd` as working directory, under the address-space limit (prlimit, else
    /// the shell's ulimit) and killed after `killAfter` seconds.
    static func runLimited(_ exe: URL, _ args: [String], cwd: URL) throws -> Outcome {
        let timed = ["timeout", "-s", "KILL", "\(killAfter)", exe.path] + args
        let prlimit = ["/usr/bin/prlimit", "/bin/prlimit"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let command: [String]
        if underAddressSanitizer {
            // The sanitizers reserve terabytes of shadow address space, so an address-space limit
            // cannot apply; the sanitizer allocator's own limits bound memory instead.
            command = timed
        } else if let prlimit {
            command = [prlimit, "--as=\(addressSpaceLimit)", "--"] + timed
        } else {
            command = ["/bin/sh", "-c", "ulimit -v \(addressSpaceLimit / 1024) && exec \"$@\"", "sh"] + timed
        }
        return try runProcess(URL(fileURLWithPath: "/usr/bin/env"), command, cwd: cwd)
    }

    static func runProcess(_ exe: URL, _ args: [String], cwd: URL) throws -> Outcome {
        let (r, signaled, seconds) = try CLIRunner.process(exe, args, cwd: cwd)
        return Outcome(status: r.status, signaled: signaled, stderr: r.stderr, seconds: seconds)
    }

    static func python3HasTorch() -> Bool {
        guard let r = try? runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                      ["python3", "-c", "import torch, safetensors"], cwd: repoRoot) else { return false }
        return r.status == 0
    }
}
